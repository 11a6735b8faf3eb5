// Package deploy holds no Go code of its own: these tests guard the
// deployment files beside them (docker-compose.yml, nginx.conf and the
// Kubernetes manifests) against the mistakes that only show up at deploy
// time: a probe on the wrong path, a proxy that drops websockets, a
// kustomization that names a missing file.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// doc is one decoded YAML document.
type doc = map[string]any

// decodeAll reads every document of a (possibly multi-document) YAML file,
// skipping empty ones such as a trailing "---".
func decodeAll(t *testing.T, path string) []doc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []doc
	for {
		var d doc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse %s (document %d): %v", path, len(docs)+1, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML documents", path)
	}
	return docs
}

// get walks nested maps by key and returns nil when any step is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(doc)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func getMap(v any, keys ...string) doc {
	m, _ := get(v, keys...).(doc)
	return m
}

func getList(v any, keys ...string) []any {
	l, _ := get(v, keys...).([]any)
	return l
}

func getString(v any, keys ...string) string {
	s, _ := get(v, keys...).(string)
	return s
}

// yamlFiles lists every .yml/.yaml file under the deploy directory.
func yamlFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestEveryYAMLFileParses(t *testing.T) {
	files := yamlFiles(t)
	if len(files) == 0 {
		t.Fatal("no YAML files found under deploy/")
	}
	for _, f := range files {
		decodeAll(t, f)
	}
}

// composeEnv returns a service's environment whether it is written as a map
// or as a list of KEY=VALUE strings.
func composeEnv(t *testing.T, svc doc) map[string]string {
	t.Helper()
	env := map[string]string{}
	switch e := svc["environment"].(type) {
	case doc:
		for k, v := range e {
			if v == nil {
				env[k] = ""
				continue
			}
			env[k], _ = v.(string)
		}
	case []any:
		for _, item := range e {
			s, _ := item.(string)
			k, v, _ := strings.Cut(s, "=")
			env[k] = v
		}
	case nil:
	default:
		t.Fatalf("environment has unexpected type %T", e)
	}
	return env
}

// dependsOn returns the services a compose service depends on, mapped to the
// condition ("service_started" for the short list form).
func dependsOn(svc doc) map[string]string {
	deps := map[string]string{}
	switch d := svc["depends_on"].(type) {
	case []any:
		for _, name := range d {
			s, _ := name.(string)
			deps[s] = "service_started"
		}
	case doc:
		for name, v := range d {
			cond := getString(v, "condition")
			if cond == "" {
				cond = "service_started"
			}
			deps[name] = cond
		}
	}
	return deps
}

func TestCompose(t *testing.T) {
	docs := decodeAll(t, "docker-compose.yml")
	if len(docs) != 1 {
		t.Fatalf("docker-compose.yml: want 1 document, got %d", len(docs))
	}
	compose := docs[0]
	services := getMap(compose, "services")
	for _, name := range []string{"postgres", "holler1", "holler2"} {
		if getMap(services, name) == nil {
			t.Errorf("compose: service %q missing", name)
		}
	}

	pg := getMap(services, "postgres")
	if img := getString(pg, "image"); !strings.HasPrefix(img, "postgres:") {
		t.Errorf("compose: postgres image = %q, want postgres:*", img)
	}
	if test := get(pg, "healthcheck", "test"); !strings.Contains(strings.TrimSpace(anyString(test)), "pg_isready") {
		t.Errorf("compose: postgres healthcheck should run pg_isready, got %v", test)
	}
	if len(getList(pg, "volumes")) == 0 {
		t.Error("compose: postgres has no volume; its data would die with the container")
	}

	// The subnet the proxy lives on, which the replicas must trust.
	var subnets []netip.Prefix
	for _, cfg := range getList(compose, "networks", "holler", "ipam", "config") {
		p, err := netip.ParsePrefix(getString(cfg, "subnet"))
		if err != nil {
			t.Errorf("compose: bad network subnet: %v", err)
			continue
		}
		subnets = append(subnets, p)
	}
	if len(subnets) == 0 {
		t.Error("compose: network holler needs a fixed ipam subnet for HOLLER_TRUSTED_PROXIES")
	}

	for _, name := range []string{"holler1", "holler2"} {
		svc := getMap(services, name)
		if svc == nil {
			continue
		}
		if ctx := anyString(get(svc, "build", "context")) + anyString(get(svc, "build")); !strings.Contains(ctx, "..") {
			t.Errorf("compose: %s should build from the repository root (context ..)", name)
		}
		env := composeEnv(t, svc)
		if !strings.HasPrefix(env["HOLLER_DATABASE_URL"], "postgres://") {
			t.Errorf("compose: %s HOLLER_DATABASE_URL = %q, want postgres://...", name, env["HOLLER_DATABASE_URL"])
		}
		if env["HOLLER_PUBLIC_URL"] == "" {
			t.Errorf("compose: %s has no HOLLER_PUBLIC_URL", name)
		}
		trusted := env["HOLLER_TRUSTED_PROXIES"]
		if trusted == "" {
			t.Errorf("compose: %s has no HOLLER_TRUSTED_PROXIES; client IPs would all be the proxy's", name)
		}
		for _, c := range strings.Split(trusted, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil {
				t.Errorf("compose: %s HOLLER_TRUSTED_PROXIES: %v", name, err)
				continue
			}
			if !slices.ContainsFunc(subnets, func(s netip.Prefix) bool { return s.Overlaps(p) }) {
				t.Errorf("compose: %s trusts %s, which is not the compose network %v", name, p, subnets)
			}
		}
		if cond := dependsOn(svc)["postgres"]; cond != "service_healthy" {
			t.Errorf("compose: %s should depend on postgres being service_healthy, got %q", name, cond)
		}
		if len(getList(svc, "ports")) != 0 {
			t.Errorf("compose: %s publishes ports; only the proxy should, or X-Forwarded-For could be forged", name)
		}
	}

	// The proxy: whichever other service publishes a port.
	var proxyName string
	for name, v := range services {
		if name != "postgres" && name != "holler1" && name != "holler2" && len(getList(v, "ports")) > 0 {
			proxyName = name
		}
	}
	if proxyName == "" {
		t.Fatal("compose: no proxy service publishing a port")
	}
	proxy := getMap(services, proxyName)
	deps := dependsOn(proxy)
	for _, name := range []string{"holler1", "holler2"} {
		if _, ok := deps[name]; !ok {
			t.Errorf("compose: proxy should depend on %s", name)
		}
	}
	// Its config must be a file in deploy/ that passes websockets on.
	var confChecked bool
	for _, v := range getList(proxy, "volumes") {
		src, _, _ := strings.Cut(anyString(v), ":")
		if !strings.HasPrefix(src, "./") {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Errorf("compose: proxy mounts %s: %v", src, err)
			continue
		}
		confChecked = true
		checkProxyConf(t, src, string(data))
	}
	if !confChecked {
		t.Error("compose: proxy mounts no config file from deploy/")
	}
}

// checkProxyConf checks an nginx config for what Holler needs behind it.
func checkProxyConf(t *testing.T, name, conf string) {
	t.Helper()
	for _, want := range []string{
		"holler1:8080",
		"holler2:8080",
		"proxy_http_version 1.1",
		"proxy_set_header Upgrade $http_upgrade",
		"proxy_set_header Connection",
		"proxy_set_header X-Forwarded-For",
		"proxy_read_timeout 3600s",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("%s: missing %q", name, want)
		}
	}
}

func anyString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = anyString(p)
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// k8sDocs returns every document of every manifest in kubernetes/, keyed by
// kind, failing on documents without apiVersion, kind or metadata.name.
func k8sDocs(t *testing.T) map[string][]doc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string][]doc{}
	for _, f := range files {
		for i, d := range decodeAll(t, f) {
			kind := getString(d, "kind")
			if getString(d, "apiVersion") == "" || kind == "" {
				t.Errorf("%s document %d: missing apiVersion or kind", f, i+1)
			}
			// A Kustomization is not a cluster object and needs no name.
			if kind != "Kustomization" && getString(d, "metadata", "name") == "" {
				t.Errorf("%s document %d: missing metadata.name", f, i+1)
			}
			byKind[kind] = append(byKind[kind], d)
		}
	}
	return byKind
}

func one(t *testing.T, byKind map[string][]doc, kind string) doc {
	t.Helper()
	if n := len(byKind[kind]); n != 1 {
		t.Fatalf("kubernetes: want exactly 1 %s, got %d", kind, n)
	}
	return byKind[kind][0]
}

func TestKubernetes(t *testing.T) {
	byKind := k8sDocs(t)
	for _, kind := range []string{"Namespace", "Deployment", "Service", "Ingress", "Kustomization"} {
		if len(byKind[kind]) == 0 {
			t.Errorf("kubernetes: no %s", kind)
		}
	}
	if t.Failed() {
		return
	}

	secretName := generatedSecret(t, one(t, byKind, "Kustomization"))
	dep := one(t, byKind, "Deployment")
	if r, _ := get(dep, "spec", "replicas").(int); r < 2 {
		t.Errorf("kubernetes: Deployment replicas = %v, want at least 2", get(dep, "spec", "replicas"))
	}
	if g, _ := get(dep, "spec", "template", "spec", "terminationGracePeriodSeconds").(int); g <= 0 {
		t.Error("kubernetes: Deployment needs terminationGracePeriodSeconds for a graceful stop")
	}
	podLabels := getMap(dep, "spec", "template", "metadata", "labels")
	podSec := getMap(dep, "spec", "template", "spec", "securityContext")
	containers := getList(dep, "spec", "template", "spec", "containers")
	if len(containers) == 0 {
		t.Fatal("kubernetes: Deployment has no containers")
	}
	c := containers[0]
	if got := getString(c, "readinessProbe", "httpGet", "path"); got != "/readyz" {
		t.Errorf("kubernetes: readinessProbe path = %q, want /readyz", got)
	}
	if got := getString(c, "livenessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("kubernetes: livenessProbe path = %q, want /healthz", got)
	}
	if get(podSec, "runAsNonRoot") != true && get(c, "securityContext", "runAsNonRoot") != true {
		t.Error("kubernetes: Deployment must set runAsNonRoot: true")
	}
	if get(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("kubernetes: container should set readOnlyRootFilesystem: true")
	}
	if getMap(c, "resources", "requests") == nil || getMap(c, "resources", "limits") == nil {
		t.Error("kubernetes: container needs resources.requests and resources.limits")
	}
	env := map[string]bool{}
	for _, e := range getList(c, "env") {
		env[getString(e, "name")] = true
	}
	for _, name := range []string{"HOLLER_PUBLIC_URL", "HOLLER_TRUSTED_PROXIES"} {
		if !env[name] {
			t.Errorf("kubernetes: container env lacks %s", name)
		}
	}
	var fromSecret bool
	for _, e := range getList(c, "envFrom") {
		if getString(e, "secretRef", "name") == secretName {
			fromSecret = true
		}
	}
	if !fromSecret {
		t.Errorf("kubernetes: container should take its env from the generated Secret %q (envFrom.secretRef)", secretName)
	}

	svc := one(t, byKind, "Service")
	selector := getMap(svc, "spec", "selector")
	if len(selector) == 0 {
		t.Error("kubernetes: Service has no selector")
	}
	for k, v := range selector {
		if podLabels[k] != v {
			t.Errorf("kubernetes: Service selector %s=%v does not match the pod labels %v", k, v, podLabels)
		}
	}

	ing := one(t, byKind, "Ingress")
	for _, a := range []string{
		"nginx.ingress.kubernetes.io/proxy-read-timeout",
		"nginx.ingress.kubernetes.io/proxy-send-timeout",
	} {
		v := getString(ing, "metadata", "annotations", a)
		if n, err := strconv.Atoi(v); err != nil || n < 3600 {
			t.Errorf("kubernetes: Ingress annotation %s = %q, want at least \"3600\" (websockets)", a, v)
		}
	}
	var backendOK bool
	for _, rule := range getList(ing, "spec", "rules") {
		for _, p := range getList(rule, "http", "paths") {
			if getString(p, "backend", "service", "name") == getString(svc, "metadata", "name") {
				backendOK = true
			}
		}
	}
	if !backendOK {
		t.Error("kubernetes: Ingress does not route to the Service")
	}

	// Every resource the kustomization lists exists, and every manifest in
	// the folder is listed (a forgotten file would silently not be applied).
	kust := one(t, byKind, "Kustomization")
	listed := map[string]bool{}
	for _, r := range getList(kust, "resources") {
		name, _ := r.(string)
		listed[name] = true
		if _, err := os.Stat(filepath.Join("kubernetes", name)); err != nil {
			t.Errorf("kubernetes: kustomization lists %q: %v", name, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.y*ml"))
	for _, f := range files {
		base := filepath.Base(f)
		if base != "kustomization.yaml" && !listed[base] {
			t.Errorf("kubernetes: %s is not listed in kustomization.yaml", base)
		}
	}
}

// TestComposeConfig lets Docker Compose itself validate the file (schema,
// interpolation, merge keys). `config` needs only the client, no engine.
func TestComposeConfig(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker client not on PATH; skipping `docker compose config`")
	}
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skip("docker client has no compose plugin (`docker compose version` failed); skipping `docker compose config`")
	}
	out, err := exec.Command("docker", "compose", "-f", "docker-compose.yml", "config", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
