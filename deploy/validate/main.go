// Command k8s-validate checks rendered Kubernetes manifests (the output of `helm template`) offline, with no API
// server: every document is decoded strictly into the Go type the API server itself decodes it into (k8s.io/api,
// and the prometheus-operator types for ServiceMonitor and PrometheusRule), so a misspelt or misplaced field, a
// value of the wrong type, a duplicate key or an unknown kind fails. Then the objects are checked against each other
// the way a cluster would find out only at run time: selectors that select nothing, probes on ports the container
// does not have, references to Secrets and ConfigMaps that are neither rendered nor declared external, hooks that
// need objects which do not exist yet when the hook runs.
//
// PromQL is parsed with Prometheus's own parser: in PrometheusRule objects, and in a rule file (-rules) or a Grafana
// dashboard (-dashboard) given alone.
//
//	k8s-validate [-external-secret NAME]... FILE...    (FILE "-" reads standard input)
//	k8s-validate -rules alerts.yaml -dashboard dashboard.json
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

func main() {
	var external names
	flag.Var(&external, "external-secret", "a Secret that exists in the cluster beforehand (existingSecret); may be repeated")
	quiet := flag.Bool("q", false, "print problems only")
	rules := flag.String("rules", "", "a Prometheus rule file to check")
	dashboard := flag.String("dashboard", "", "a Grafana dashboard JSON whose queries to check")
	flag.Parse()
	if *rules != "" || *dashboard != "" {
		var problems []string
		if *rules != "" {
			problems = append(problems, checkRulesFile(*rules)...)
		}
		if *dashboard != "" {
			problems = append(problems, checkDashboard(*dashboard)...)
		}
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		if len(problems) > 0 {
			os.Exit(1)
		}
		fmt.Println("rules and dashboard queries parse")
		if flag.NArg() == 0 {
			return
		}
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8s-validate [-external-secret NAME]... FILE... (- for standard input)")
		os.Exit(2)
	}
	failed := false
	for _, path := range flag.Args() {
		var data []byte
		var err error
		if path == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		objects, problems := Validate(data, external)
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "%s: %s\n", path, p)
		}
		if len(problems) > 0 {
			failed = true
		} else if !*quiet {
			fmt.Printf("%s: %d objects valid (%s)\n", path, len(objects), summary(objects))
		}
	}
	if failed {
		os.Exit(1)
	}
}

func summary(objects []*Object) string {
	counts := map[string]int{}
	var order []string
	for _, o := range objects {
		if counts[o.Kind] == 0 {
			order = append(order, o.Kind)
		}
		counts[o.Kind]++
	}
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}
