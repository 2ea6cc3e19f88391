package main

import (
	"os"
	"strings"
	"testing"
)

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels: { app: checkout }
spec:
  replicas: 2
  selector:
    matchLabels: { app: checkout }
  template:
    metadata:
      labels: { app: checkout }
    spec:
      containers:
        - name: checkout
          image: ticketing/servers:0.1.0
          ports:
            - { name: rpc, containerPort: 50620 }
          env:
            - name: TICKETING_JWT_SECRET
              valueFrom: { secretKeyRef: { name: secrets, key: jwt-secret } }
          readinessProbe:
            httpGet: { path: /readyz, port: rpc }
          resources:
            requests: { cpu: 250m, memory: 256Mi }
            limits: { memory: 512Mi }
`

const secret = `
apiVersion: v1
kind: Secret
metadata:
  name: secrets
stringData:
  jwt-secret: x
`

const service = `
apiVersion: v1
kind: Service
metadata:
  name: checkout
  labels: { app: checkout }
spec:
  selector: { app: checkout }
  ports:
    - { name: rpc, port: 50620, targetPort: rpc }
`

func join(docs ...string) []byte { return []byte(strings.Join(docs, "\n---\n")) }

func expectProblem(t *testing.T, data []byte, want string, external ...string) {
	t.Helper()
	_, problems := Validate(data, external)
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Fatalf("expected a problem containing %q, got %q", want, problems)
}

func TestValidObjectsPass(t *testing.T) {
	objects, problems := Validate(join(deployment, secret, service, ""), nil)
	if len(problems) > 0 {
		t.Fatalf("unexpected problems: %q", problems)
	}
	if len(objects) != 3 {
		t.Fatalf("decoded %d objects, want 3 (the empty document is skipped)", len(objects))
	}
}

func TestMisspeltFieldFails(t *testing.T) {
	data, err := os.ReadFile("testdata/misspelt-probe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, data, `unknown field "spec.template.spec.containers[0].readinesProbe"`)
}

func TestStrictDecoding(t *testing.T) {
	cases := map[string]struct{ from, to, want string }{
		"wrong case":         {"replicas: 2", "Replicas: 2", `unknown field "spec.Replicas"`},
		"wrong type":         {"replicas: 2", `replicas: "two"`, "cannot unmarshal string"},
		"duplicate key":      {"replicas: 2", "replicas: 2\n  replicas: 3", `"replicas" already set`},
		"bad quantity":       {"cpu: 250m", "cpu: 250 millicores", "quantities must match"},
		"misplaced field":    {"  replicas: 2", "  replicas: 2\n  containers: []", `unknown field "spec.containers"`},
		"unknown api group":  {"apiVersion: apps/v1", "apiVersion: app/v1", "not a kind this checker knows"},
		"misspelt kind":      {"kind: Deployment", "kind: Deploymnet", "not a kind this checker knows"},
		"bad container name": {"- name: checkout\n", "- name: Checkout_1\n", `container name "Checkout_1"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			changed := strings.Replace(deployment, c.from, c.to, 1)
			if changed == deployment {
				t.Fatalf("fixture has no %q", c.from)
			}
			expectProblem(t, join(changed, secret, service), c.want)
		})
	}
}

func TestServiceMonitorIsDecodedStrictly(t *testing.T) {
	monitor := `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: checkout
spec:
  selector:
    matchLabels: { app: checkout }
  endpoints:
    - port: rpc
      path: /metrics
      honorLabel: true
`
	expectProblem(t, join(deployment, secret, service, monitor), `unknown field "spec.endpoints[0].honorLabel"`)
	wrongPort := strings.Replace(strings.Replace(monitor, "honorLabel", "honorLabels", 1), "port: rpc", "port: http", 1)
	expectProblem(t, join(deployment, secret, service, wrongPort), "endpoint port http is not a named port of Service checkout")
}

func TestCrossObjectChecks(t *testing.T) {
	t.Run("selector does not select the template", func(t *testing.T) {
		expectProblem(t, join(strings.Replace(deployment, "matchLabels: { app: checkout }", "matchLabels: { app: booking }", 1), secret, service),
			"does not select the pod template's labels")
	})
	t.Run("missing secret", func(t *testing.T) {
		expectProblem(t, join(deployment, service), "refers to Secret secrets, which is neither rendered nor declared external")
		if _, problems := Validate(join(deployment, service), []string{"secrets"}); len(problems) > 0 {
			t.Fatalf("an external secret is allowed: %q", problems)
		}
	})
	t.Run("missing secret key", func(t *testing.T) {
		expectProblem(t, join(deployment, strings.Replace(secret, "jwt-secret", "jwt", 1), service), "key jwt-secret of Secret secrets")
	})
	t.Run("probe on an undeclared port", func(t *testing.T) {
		expectProblem(t, join(strings.Replace(deployment, "port: rpc }", "port: http }", 1), secret, service), "readinessProbe port http")
	})
	t.Run("service selects nothing", func(t *testing.T) {
		expectProblem(t, join(deployment, secret, strings.Replace(service, "selector: { app: checkout }", "selector: { app: chekout }", 1)), "selects no workload's pods")
	})
	t.Run("service targets an undeclared port", func(t *testing.T) {
		expectProblem(t, join(deployment, secret, strings.Replace(service, "targetPort: rpc", "targetPort: grpc", 1)), "targets grpc")
	})
	t.Run("request above limit", func(t *testing.T) {
		expectProblem(t, join(strings.Replace(deployment, "memory: 256Mi", "memory: 1Gi", 1), secret, service), "requests more memory")
	})
	t.Run("duplicate object", func(t *testing.T) {
		expectProblem(t, join(deployment, secret, service, secret), "a second Secret named secrets")
	})
	t.Run("pdb that blocks every eviction", func(t *testing.T) {
		pdb := `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: checkout }
spec:
  minAvailable: 2
  selector: { matchLabels: { app: checkout } }
`
		expectProblem(t, join(deployment, secret, service, pdb), "no pod could ever be evicted")
	})
	t.Run("hpa on cpu without cpu requests", func(t *testing.T) {
		hpa := `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: checkout }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: checkout }
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
`
		expectProblem(t, join(strings.Replace(deployment, "cpu: 250m, ", "", 1), secret, service, hpa), "requests no cpu")
	})
	t.Run("hook needs a secret created after it", func(t *testing.T) {
		job := `
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: { helm.sh/hook: "pre-install,pre-upgrade" }
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ticketing/servers:0.1.0
          envFrom: [{ secretRef: { name: secrets } }]
`
		expectProblem(t, join(deployment, secret, service, job), "is a pre-install hook but Secret secrets does not exist yet")
		hookSecret := strings.Replace(secret, "name: secrets", "name: secrets\n  annotations: { helm.sh/hook: \"pre-install,pre-upgrade\", helm.sh/hook-weight: \"-5\" }", 1)
		if _, problems := Validate(join(deployment, hookSecret, service, job), nil); len(problems) > 0 {
			t.Fatalf("a hook Secret of lower weight is there in time: %q", problems)
		}
	})
}

func TestPrometheusRuleExpressionsAreParsed(t *testing.T) {
	rule := `
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: ticketing }
spec:
  groups:
    - name: ticketing
      rules:
        - alert: Slow
          expr: histogram_quantile(0.99, sum by (le) (rate(ticketing_rpc_duration_seconds_bucket[5m]))) > 2
          for: 5m
          labels: { severity: warning }
          annotations: { summary: slow }
`
	if _, problems := Validate(join(deployment, secret, service, rule), nil); len(problems) > 0 {
		t.Fatalf("unexpected problems: %q", problems)
	}
	expectProblem(t, join(deployment, secret, service, strings.Replace(rule, "[5m]", "[5m", 1)), "parse error")
	expectProblem(t, join(deployment, secret, service, strings.Replace(rule, "for: 5m", "for: 5 minutes", 1)), "for")
	expectProblem(t, join(deployment, secret, service, strings.Replace(rule, "labels: { severity: warning }", "labels: {}", 1)), "needs a severity label")
}

func TestRuleFileAndDashboardOfTheChart(t *testing.T) {
	if problems := checkRulesFile("../helm/ticketing/files/alerts.yaml"); len(problems) > 0 {
		t.Fatalf("alerts.yaml: %q", problems)
	}
	if problems := checkDashboard("../helm/ticketing/files/dashboard.json"); len(problems) > 0 {
		t.Fatalf("dashboard.json: %q", problems)
	}
	bad := t.TempDir() + "/dashboard.json"
	if err := os.WriteFile(bad, []byte(`{"panels":[{"title":"Orders","targets":[{"refId":"A","expr":"sum(rate(ticketing_orders_total[$__rate_interval])"}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := checkDashboard(bad); len(problems) == 0 || !strings.Contains(problems[0], `panel "Orders" target A`) {
		t.Fatalf("an unbalanced query must fail, naming its panel: %q", problems)
	}
}
