package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one rendered document, decoded into its API type.
type Object struct {
	Kind       string
	APIVersion string
	Name       string
	// Source is the chart template it came from (helm template's "# Source:" line), else its position.
	Source string
	Meta   metav1.Object
	Typed  runtime.Object
}

func (o *Object) String() string { return fmt.Sprintf("%s %s (%s)", o.Kind, o.Name, o.Source) }

// hookEvents are the helm hook events of the object ("pre-install", ...), none for an ordinary release object.
func (o *Object) hookEvents() []string {
	h := o.Meta.GetAnnotations()["helm.sh/hook"]
	if h == "" {
		return nil
	}
	var events []string
	for _, e := range strings.Split(h, ",") {
		events = append(events, strings.TrimSpace(e))
	}
	return events
}

func (o *Object) hookWeight() int {
	w, _ := strconv.Atoi(o.Meta.GetAnnotations()["helm.sh/hook-weight"])
	return w
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
		networkingv1.AddToScheme, rbacv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.+)$`)

// Validate decodes every document of a multi-document YAML stream strictly and checks the objects against each
// other. externalSecrets are Secrets the objects may refer to that exist beforehand.
func Validate(data []byte, externalSecrets []string) ([]*Object, []string) {
	var problems []string
	var objects []*Object
	reader := kyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", n, err))
			break
		}
		source := fmt.Sprintf("document %d", n)
		if m := sourceLine.FindSubmatch(doc); m != nil {
			source = string(m[1])
		}
		obj, err := decode(doc, source)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", source, err))
			continue
		}
		if obj != nil {
			objects = append(objects, obj)
		}
	}
	c := &checker{objects: objects, external: externalSecrets}
	c.run()
	return objects, append(problems, c.problems...)
}

func decode(doc []byte, source string) (*Object, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil // an empty document (a template that rendered nothing)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &head); err != nil {
		return nil, fmt.Errorf("not an object: %v", err)
	}
	if head.APIVersion == "" || head.Kind == "" {
		return nil, errors.New("apiVersion and kind are required")
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return nil, err
	}
	typed, err := scheme.New(gv.WithKind(head.Kind))
	if err != nil {
		return nil, fmt.Errorf("%s %s is not a kind this checker knows (not served, misspelt, or a CRD to add to it)", head.APIVersion, head.Kind)
	}
	strict, err := sigsjson.UnmarshalStrict(js, typed)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", head.Kind, err)
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("%s: %s", head.Kind, strings.Join(msgs, "; "))
	}
	meta, ok := typed.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%s has no metadata", head.Kind)
	}
	return &Object{Kind: head.Kind, APIVersion: head.APIVersion, Name: meta.GetName(), Source: source, Meta: meta, Typed: typed}, nil
}

type checker struct {
	objects  []*Object
	external []string
	problems []string
}

func (c *checker) fail(o *Object, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("%s: %s", o, fmt.Sprintf(format, args...)))
}

func (c *checker) find(kind, name string) *Object {
	for _, o := range c.objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	return nil
}

// workload is an object with a pod template.
type workload struct {
	obj      *Object
	template *corev1.PodTemplateSpec
	replicas *int32
}

func (c *checker) workloads() []workload {
	var out []workload
	for _, o := range c.objects {
		switch t := o.Typed.(type) {
		case *appsv1.Deployment:
			out = append(out, workload{o, &t.Spec.Template, t.Spec.Replicas})
		case *appsv1.StatefulSet:
			out = append(out, workload{o, &t.Spec.Template, t.Spec.Replicas})
		case *appsv1.DaemonSet:
			out = append(out, workload{o, &t.Spec.Template, nil})
		case *batchv1.Job:
			out = append(out, workload{o, &t.Spec.Template, nil})
		case *batchv1.CronJob:
			out = append(out, workload{o, &t.Spec.JobTemplate.Spec.Template, nil})
		}
	}
	return out
}

// selected lists the long-running workloads (not hooks, not jobs) whose pods the selector selects.
func (c *checker) selected(sel labels.Selector) []workload {
	var out []workload
	for _, w := range c.workloads() {
		if w.obj.hookEvents() != nil || w.obj.Kind == "Job" || w.obj.Kind == "CronJob" {
			continue
		}
		if sel.Matches(labels.Set(w.template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func (c *checker) labelSelector(o *Object, what string, s *metav1.LabelSelector) labels.Selector {
	if s == nil {
		c.fail(o, "%s is missing", what)
		return labels.Nothing()
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		c.fail(o, "%s: %v", what, err)
		return labels.Nothing()
	}
	return sel
}

func (c *checker) run() {
	seen := map[string]*Object{}
	for _, o := range c.objects {
		key := o.Kind + "/" + o.Name
		if first, dup := seen[key]; dup {
			c.fail(o, "a second %s named %s (the first is in %s)", o.Kind, o.Name, first.Source)
		}
		seen[key] = o
		c.metadata(o)
	}
	for _, w := range c.workloads() {
		c.workload(w)
	}
	for _, o := range c.objects {
		switch t := o.Typed.(type) {
		case *corev1.Service:
			c.service(o, t)
		case *autoscalingv2.HorizontalPodAutoscaler:
			c.hpa(o, t)
		case *policyv1.PodDisruptionBudget:
			c.pdb(o, t)
		case *networkingv1.NetworkPolicy:
			c.networkPolicy(o, t)
		case *monitoringv1.ServiceMonitor:
			c.serviceMonitor(o, t)
		case *monitoringv1.PrometheusRule:
			c.problems = append(c.problems, checkRuleGroups(o.String(), t.Spec.Groups)...)
		}
	}
}

func (c *checker) metadata(o *Object) {
	if o.Name == "" {
		c.fail(o, "metadata.name is empty")
		return
	}
	nameErrs := validation.IsDNS1123Subdomain(o.Name)
	if o.Kind == "Service" {
		nameErrs = validation.IsDNS1035Label(o.Name)
	}
	for _, e := range nameErrs {
		c.fail(o, "name %q: %s", o.Name, e)
	}
	for k, v := range o.Meta.GetLabels() {
		for _, e := range validation.IsQualifiedName(k) {
			c.fail(o, "label key %q: %s", k, e)
		}
		for _, e := range validation.IsValidLabelValue(v) {
			c.fail(o, "label %s=%q: %s", k, v, e)
		}
	}
}

func (c *checker) workload(w workload) {
	o := w.obj
	if d, ok := o.Typed.(*appsv1.Deployment); ok {
		sel := c.labelSelector(o, "spec.selector", d.Spec.Selector)
		if !sel.Matches(labels.Set(w.template.Labels)) {
			c.fail(o, "spec.selector %s does not select the pod template's labels %v", sel, w.template.Labels)
		}
	}
	spec := &w.template.Spec
	if len(spec.Containers) == 0 {
		c.fail(o, "the pod has no containers")
	}
	if spec.ServiceAccountName != "" && c.find("ServiceAccount", spec.ServiceAccountName) == nil && spec.ServiceAccountName != "default" {
		c.fail(o, "serviceAccountName %s is not rendered", spec.ServiceAccountName)
	}
	names := map[string]bool{}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for i := range all {
		ct := &all[i]
		for _, e := range validation.IsDNS1123Label(ct.Name) {
			c.fail(o, "container name %q: %s", ct.Name, e)
		}
		if names[ct.Name] {
			c.fail(o, "two containers named %s", ct.Name)
		}
		names[ct.Name] = true
		if ct.Image == "" {
			c.fail(o, "container %s has no image", ct.Name)
		}
		ports := map[string]bool{}
		for _, p := range ct.Ports {
			if p.Name != "" {
				for _, e := range validation.IsValidPortName(p.Name) {
					c.fail(o, "container %s port name %q: %s", ct.Name, p.Name, e)
				}
				ports[p.Name] = true
			}
			ports[strconv.Itoa(int(p.ContainerPort))] = true
		}
		for what, probe := range map[string]*corev1.Probe{"readinessProbe": ct.ReadinessProbe, "livenessProbe": ct.LivenessProbe, "startupProbe": ct.StartupProbe} {
			if probe == nil || probe.HTTPGet == nil {
				continue
			}
			if !ports[probe.HTTPGet.Port.String()] {
				c.fail(o, "container %s %s port %s is not one of the container's ports", ct.Name, what, probe.HTTPGet.Port.String())
			}
		}
		for _, e := range ct.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				c.fail(o, "container %s env %q: %s", ct.Name, e.Name, msg)
			}
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				r := e.ValueFrom.SecretKeyRef
				c.reference(o, "Secret", r.Name, r.Key, r.Optional)
			}
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				r := e.ValueFrom.ConfigMapKeyRef
				c.reference(o, "ConfigMap", r.Name, r.Key, r.Optional)
			}
		}
		for _, from := range ct.EnvFrom {
			if from.SecretRef != nil {
				c.reference(o, "Secret", from.SecretRef.Name, "", from.SecretRef.Optional)
			}
			if from.ConfigMapRef != nil {
				c.reference(o, "ConfigMap", from.ConfigMapRef.Name, "", from.ConfigMapRef.Optional)
			}
		}
		for name, limit := range ct.Resources.Limits {
			if req, ok := ct.Resources.Requests[name]; ok && req.Cmp(limit) > 0 {
				c.fail(o, "container %s requests more %s (%s) than its limit (%s)", ct.Name, name, req.String(), limit.String())
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			c.reference(o, "Secret", v.Secret.SecretName, "", v.Secret.Optional)
		}
		if v.ConfigMap != nil {
			c.reference(o, "ConfigMap", v.ConfigMap.Name, "", v.ConfigMap.Optional)
		}
	}
}

// reference checks that a Secret or ConfigMap a pod uses exists when the pod starts: rendered (with the key), or an
// external Secret; and, for a hook's pod, that it exists before the hook runs (is itself an earlier hook of the same
// events, since ordinary release objects are created only after pre-install hooks).
func (c *checker) reference(o *Object, kind, name, key string, optional *bool) {
	if optional != nil && *optional {
		return
	}
	target := c.find(kind, name)
	if target == nil {
		if kind == "Secret" && slices.Contains(c.external, name) {
			return
		}
		c.fail(o, "refers to %s %s, which is neither rendered nor declared external", kind, name)
		return
	}
	if key != "" {
		var has bool
		switch t := target.Typed.(type) {
		case *corev1.Secret:
			_, inData := t.Data[key]
			_, inString := t.StringData[key]
			has = inData || inString
		case *corev1.ConfigMap:
			_, has = t.Data[key]
		}
		if !has {
			c.fail(o, "refers to key %s of %s %s, which has no such key", key, kind, name)
		}
	}
	if events := o.hookEvents(); events != nil {
		theirs := target.hookEvents()
		for _, e := range events {
			if !strings.HasPrefix(e, "pre-") {
				continue
			}
			if !slices.Contains(theirs, e) || target.hookWeight() >= o.hookWeight() {
				c.fail(o, "is a %s hook but %s %s does not exist yet when it runs (make it a %s hook of lower weight, or use an existing one)", e, kind, name, e)
			}
		}
	}
}

func (c *checker) service(o *Object, s *corev1.Service) {
	if len(s.Spec.Selector) == 0 {
		return // endpoints managed by hand
	}
	pods := c.selected(labels.SelectorFromSet(s.Spec.Selector))
	if len(pods) == 0 {
		c.fail(o, "selector %v selects no workload's pods", s.Spec.Selector)
		return
	}
	for _, p := range s.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		for _, w := range pods {
			if !podHasPort(&w.template.Spec, target) {
				c.fail(o, "port %s targets %s, which %s's containers do not declare", p.Name, target.String(), w.obj.Name)
			}
		}
	}
}

func podHasPort(spec *corev1.PodSpec, port intstr.IntOrString) bool {
	for _, ct := range spec.Containers {
		for _, p := range ct.Ports {
			if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
				return true
			}
		}
	}
	return false
}

func (c *checker) hpa(o *Object, h *autoscalingv2.HorizontalPodAutoscaler) {
	ref := h.Spec.ScaleTargetRef
	target := c.find(ref.Kind, ref.Name)
	if target == nil {
		c.fail(o, "scaleTargetRef %s %s is not rendered", ref.Kind, ref.Name)
		return
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		c.fail(o, "minReplicas %d is above maxReplicas %d", *h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if d, ok := target.Typed.(*appsv1.Deployment); ok {
		for _, m := range h.Spec.Metrics {
			if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType {
				continue
			}
			for _, ct := range d.Spec.Template.Spec.Containers {
				if _, ok := ct.Resources.Requests[m.Resource.Name]; !ok {
					c.fail(o, "scales on %s utilization but container %s of %s requests no %s", m.Resource.Name, ct.Name, d.Name, m.Resource.Name)
				}
			}
		}
	}
}

func (c *checker) pdb(o *Object, p *policyv1.PodDisruptionBudget) {
	pods := c.selected(c.labelSelector(o, "spec.selector", p.Spec.Selector))
	if len(pods) == 0 {
		c.fail(o, "selector selects no workload's pods")
		return
	}
	if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.Type != intstr.Int {
		return
	}
	for _, w := range pods {
		if w.replicas != nil && c.autoscaled(w.obj) == nil && p.Spec.MinAvailable.IntVal >= *w.replicas {
			c.fail(o, "minAvailable %d with %d replicas of %s: no pod could ever be evicted, a node drain would hang", p.Spec.MinAvailable.IntVal, *w.replicas, w.obj.Name)
		}
	}
}

func (c *checker) autoscaled(target *Object) *Object {
	for _, o := range c.objects {
		if h, ok := o.Typed.(*autoscalingv2.HorizontalPodAutoscaler); ok && h.Spec.ScaleTargetRef.Kind == target.Kind && h.Spec.ScaleTargetRef.Name == target.Name {
			return o
		}
	}
	return nil
}

func (c *checker) networkPolicy(o *Object, n *networkingv1.NetworkPolicy) {
	sel := c.labelSelector(o, "spec.podSelector", &n.Spec.PodSelector)
	if len(n.Spec.PodSelector.MatchLabels)+len(n.Spec.PodSelector.MatchExpressions) == 0 {
		return // every pod of the namespace
	}
	pods := c.selected(sel)
	if len(pods) == 0 {
		c.fail(o, "podSelector selects no workload's pods")
		return
	}
	for _, rule := range n.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port == nil || p.Port.Type != intstr.String {
				continue
			}
			for _, w := range pods {
				if !podHasPort(&w.template.Spec, *p.Port) {
					c.fail(o, "ingress port %s is not a port of %s", p.Port.StrVal, w.obj.Name)
				}
			}
		}
	}
}

func (c *checker) serviceMonitor(o *Object, m *monitoringv1.ServiceMonitor) {
	sel := c.labelSelector(o, "spec.selector", &m.Spec.Selector)
	var matched []*corev1.Service
	for _, s := range c.objects {
		if svc, ok := s.Typed.(*corev1.Service); ok && sel.Matches(labels.Set(svc.Labels)) {
			matched = append(matched, svc)
		}
	}
	if len(matched) == 0 {
		c.fail(o, "selector selects no Service")
		return
	}
	for _, ep := range m.Spec.Endpoints {
		if ep.Port == "" {
			continue
		}
		for _, svc := range matched {
			if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
				c.fail(o, "endpoint port %s is not a named port of Service %s", ep.Port, svc.Name)
			}
		}
	}
}
