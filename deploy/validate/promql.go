package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// grafanaVariables stand in for the variables Grafana fills in before a query reaches Prometheus.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "15s", "$__range", "1h")

func checkExpr(where, expr string) []string {
	if strings.TrimSpace(expr) == "" {
		return []string{where + ": empty expression"}
	}
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
		return []string{fmt.Sprintf("%s: %v", where, err)}
	}
	return nil
}

// checkRuleGroups parses every rule's expression and duration, and wants an alert to say what it is about.
func checkRuleGroups(where string, groups []monitoringv1.RuleGroup) []string {
	var problems []string
	seen := map[string]bool{}
	for _, g := range groups {
		for i, r := range g.Rules {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			at := fmt.Sprintf("%s: group %s rule %d (%s)", where, g.Name, i, name)
			if name == "" {
				problems = append(problems, at+": neither alert nor record")
			}
			if r.Alert != "" {
				if seen[r.Alert] {
					problems = append(problems, at+": a second alert of that name")
				}
				seen[r.Alert] = true
				if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
					problems = append(problems, at+": an alert needs a severity label and a summary annotation")
				}
			}
			problems = append(problems, checkExpr(at, r.Expr.String())...)
			if r.For != nil {
				if _, err := model.ParseDuration(string(*r.For)); err != nil {
					problems = append(problems, fmt.Sprintf("%s: for: %v", at, err))
				}
			}
		}
	}
	return problems
}

// checkRulesFile checks a Prometheus rule file (the format of rule_files, and of a PrometheusRule's spec).
func checkRulesFile(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	var spec monitoringv1.PrometheusRuleSpec
	strict, err := sigsjson.UnmarshalStrict(js, &spec)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	var problems []string
	for _, e := range strict {
		problems = append(problems, fmt.Sprintf("%s: %v", path, e))
	}
	if len(spec.Groups) == 0 {
		problems = append(problems, path+": no rule groups")
	}
	return append(problems, checkRuleGroups(path, spec.Groups)...)
}

// checkDashboard parses every query expression ("expr") of a Grafana dashboard.
func checkDashboard(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	var dashboard any
	if err := json.Unmarshal(data, &dashboard); err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	var problems []string
	count := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch t := v.(type) {
		case map[string]any:
			if expr, ok := t["expr"].(string); ok {
				count++
				title, _ := t["refId"].(string)
				problems = append(problems, checkExpr(fmt.Sprintf("%s: %s target %s", path, at, title), grafanaVariables.Replace(expr))...)
			}
			name := at
			if title, ok := t["title"].(string); ok {
				name = fmt.Sprintf("panel %q", title)
			}
			for _, child := range t {
				walk(name, child)
			}
		case []any:
			for _, child := range t {
				walk(at, child)
			}
		}
	}
	walk("dashboard", dashboard)
	if count == 0 {
		problems = append(problems, path+": no query expressions")
	}
	return problems
}
