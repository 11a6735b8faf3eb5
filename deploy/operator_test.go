package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// What a careful operator needs from the manifests beyond "it applies":
// the database Secret never overwritten by a committed placeholder, pods
// that drain before they stop, a Go heap that knows the memory limit,
// metrics kept off the public Ingress, and replicas that refuse to start
// on the embedded store.

// hollerShutdownGrace is how long Holler drains after SIGTERM
// (config.Default().ShutdownGrace, which this package cannot import).
const hollerShutdownGrace = 10

// generatedSecret returns the name of the Secret the kustomization
// generates for the pods' environment, checking that it is made from an env
// file that exists as a committed example and is itself git-ignored.
func generatedSecret(t *testing.T, kust doc) string {
	t.Helper()
	gens := getList(kust, "secretGenerator")
	if len(gens) != 1 {
		t.Fatalf("kubernetes: want one secretGenerator (the database Secret from a git-ignored env file), got %d", len(gens))
	}
	envs := getList(gens[0], "envs")
	if len(envs) == 0 || len(getList(gens[0], "literals")) > 0 {
		t.Fatal("kubernetes: the secretGenerator should read env files only, never literals committed here")
	}
	for _, e := range envs {
		name, _ := e.(string)
		path := filepath.Join("kubernetes", name)
		example, err := os.ReadFile(path + ".example")
		if err != nil {
			t.Errorf("kubernetes: %s has no committed example: %v", name, err)
		} else if !regexp.MustCompile(`(?m)^HOLLER_DATABASE_URL=postgres://`).Match(example) {
			t.Errorf("kubernetes: %s.example should set HOLLER_DATABASE_URL=postgres://...", name)
		}
		if !gitIgnored(t, path) {
			t.Errorf("kubernetes: %s is not git-ignored; the real database password would be committed", path)
		}
	}
	return getString(gens[0], "name")
}

// gitIgnored asks git whether path is ignored, falling back to the .gitignore
// beside it where there is no git checkout (a source tarball).
func gitIgnored(t *testing.T, path string) bool {
	t.Helper()
	if _, err := exec.LookPath("git"); err == nil {
		if err := exec.Command("git", "rev-parse", "--is-inside-work-tree").Run(); err == nil {
			if out, _ := exec.Command("git", "ls-files", path).Output(); len(out) > 0 {
				t.Errorf("%s is committed", path)
			}
			return exec.Command("git", "check-ignore", "-q", path).Run() == nil
		}
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(path), ".gitignore"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimPrefix(strings.TrimSpace(line), "/") == filepath.Base(path) {
			return true
		}
	}
	return false
}

// TestKubernetesSecretIsNotCommitted: `kubectl apply -k` must never write a
// committed placeholder over the operator's real database Secret.
func TestKubernetesSecretIsNotCommitted(t *testing.T) {
	byKind := k8sDocs(t)
	if n := len(byKind["Secret"]); n > 0 {
		t.Errorf("kubernetes: %d Secret manifest(s) committed; every apply would overwrite the real one", n)
	}
	generatedSecret(t, one(t, byKind, "Kustomization"))
}

// hollerContainer returns the Deployment and its holler container.
func hollerContainer(t *testing.T) (dep, c doc) {
	t.Helper()
	dep = one(t, k8sDocs(t), "Deployment")
	for _, v := range getList(dep, "spec", "template", "spec", "containers") {
		if getString(v, "name") == "holler" {
			return dep, v.(doc)
		}
	}
	t.Fatal("kubernetes: Deployment has no container named holler")
	return nil, nil
}

// containerEnv maps the container's env entries by name.
func containerEnv(c doc) map[string]doc {
	env := map[string]doc{}
	for _, e := range getList(c, "env") {
		if m, ok := e.(doc); ok {
			env[getString(m, "name")] = m
		}
	}
	return env
}

// TestKubernetesGracefulStop: the pod keeps serving while the load balancer
// forgets it (preStop), then Holler drains, all inside the grace period.
func TestKubernetesGracefulStop(t *testing.T) {
	dep, c := hollerContainer(t)
	delay, ok := get(c, "lifecycle", "preStop", "sleep", "seconds").(int)
	if !ok || delay < 5 {
		t.Fatalf("kubernetes: container needs lifecycle.preStop.sleep.seconds of at least 5, got %v", get(c, "lifecycle", "preStop"))
	}
	grace, _ := get(dep, "spec", "template", "spec", "terminationGracePeriodSeconds").(int)
	if grace <= delay+hollerShutdownGrace {
		t.Errorf("kubernetes: terminationGracePeriodSeconds %d must exceed the preStop delay %d + Holler's %d s drain",
			grace, delay, hollerShutdownGrace)
	}
}

// TestKubernetesMemoryLimit: GOMEMLIMIT follows the container's memory limit
// through the downward API, so the two cannot drift apart.
func TestKubernetesMemoryLimit(t *testing.T) {
	_, c := hollerContainer(t)
	if getString(c, "resources", "limits", "memory") == "" {
		t.Fatal("kubernetes: container has no memory limit")
	}
	e := containerEnv(c)["GOMEMLIMIT"]
	if e == nil {
		t.Fatal("kubernetes: container env lacks GOMEMLIMIT")
	}
	ref := getMap(e, "valueFrom", "resourceFieldRef")
	if getString(ref, "resource") != "limits.memory" || get(e, "value") != nil {
		t.Errorf("kubernetes: GOMEMLIMIT should come from resourceFieldRef limits.memory, got %v", e)
	}
	if n := getString(ref, "containerName"); n != "" && n != "holler" {
		t.Errorf("kubernetes: GOMEMLIMIT reads the memory limit of container %q", n)
	}
	if d := getString(ref, "divisor"); d != "" && d != "1" {
		t.Errorf("kubernetes: GOMEMLIMIT divisor %q: Go reads a bare number as bytes", d)
	}
}

// TestRequireDatabaseURL: several replicas on the embedded store would each
// keep a database of their own, so every replicated setup makes Holler refuse
// to start without HOLLER_DATABASE_URL.
func TestRequireDatabaseURL(t *testing.T) {
	_, c := hollerContainer(t)
	if v := getString(containerEnv(c)["HOLLER_REQUIRE_DATABASE_URL"], "value"); v != "1" {
		t.Errorf("kubernetes: HOLLER_REQUIRE_DATABASE_URL = %q, want \"1\"", v)
	}
	services := getMap(decodeAll(t, "docker-compose.yml")[0], "services")
	for _, name := range []string{"holler1", "holler2"} {
		if v := composeEnv(t, getMap(services, name))["HOLLER_REQUIRE_DATABASE_URL"]; v != "1" {
			t.Errorf("compose: %s HOLLER_REQUIRE_DATABASE_URL = %q, want \"1\"", name, v)
		}
	}
}

// opsPaths are served for the cluster (probes, scraping), never the public.
var opsPaths = []string{"/metrics", "/healthz", "/readyz"}

// TestKubernetesMetricsStayInside: /metrics listens on its own container port,
// which no Service port the Ingress uses points at, and the Ingress routes the
// server's public paths only.
func TestKubernetesMetricsStayInside(t *testing.T) {
	byKind := k8sDocs(t)
	_, c := hollerContainer(t)
	addr := getString(containerEnv(c)["HOLLER_METRICS_ADDR"], "value")
	_, portText, _ := strings.Cut(addr, ":")
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatalf("kubernetes: HOLLER_METRICS_ADDR = %q, want \":PORT\"", addr)
	}
	ports := map[string]int{} // container port name -> number
	var declared bool
	for _, p := range getList(c, "ports") {
		n, _ := get(p, "containerPort").(int)
		ports[getString(p, "name")] = n
		declared = declared || n == port
	}
	if !declared || ports["http"] == port {
		t.Errorf("kubernetes: metrics port %d should be a container port of its own (ports %v)", port, ports)
	}

	// Every Ingress backend is a Service port whose target is not metrics.
	svcPorts := map[string]any{} // service port name -> targetPort
	for _, p := range getList(one(t, byKind, "Service"), "spec", "ports") {
		svcPorts[getString(p, "name")] = get(p, "targetPort")
	}
	ing := one(t, byKind, "Ingress")
	var paths []ingressPath
	for _, rule := range getList(ing, "spec", "rules") {
		for _, p := range getList(rule, "http", "paths") {
			name := getString(p, "backend", "service", "port", "name")
			target, known := svcPorts[name]
			if !known {
				t.Errorf("kubernetes: Ingress path %s uses Service port %q, which the Service lacks", getString(p, "path"), name)
			}
			if target == "metrics" || target == port {
				t.Errorf("kubernetes: Ingress path %s reaches the metrics port", getString(p, "path"))
			}
			paths = append(paths, ingressPath{getString(p, "path"), getString(p, "pathType")})
		}
	}
	if get(ing, "spec", "defaultBackend") != nil {
		t.Error("kubernetes: an Ingress defaultBackend would route every unlisted path, /metrics included")
	}

	public := publicRoutes(t)
	for _, p := range public {
		if !routed(paths, p) {
			t.Errorf("kubernetes: the server serves %s but the Ingress does not route it", p)
		}
	}
	for _, p := range opsPaths {
		for _, probe := range []string{p, p + "/"} {
			if routed(paths, probe) {
				t.Errorf("kubernetes: the Ingress routes %s to the public", probe)
			}
		}
	}
}

type ingressPath struct{ path, pathType string }

// routed applies the Ingress matching rules: Exact matches the whole path,
// Prefix matches whole path elements.
func routed(paths []ingressPath, p string) bool {
	for _, r := range paths {
		switch r.pathType {
		case "Exact":
			if p == r.path {
				return true
			}
		case "Prefix":
			prefix := strings.TrimSuffix(r.path, "/")
			if prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/") {
				return true
			}
		default: // ImplementationSpecific: nginx treats it as a prefix
			if strings.HasPrefix(p, r.path) {
				return true
			}
		}
	}
	return false
}

var (
	routeRE = regexp.MustCompile(`\be\.(?:GET|HEAD|POST|PUT|PATCH|DELETE|Any)\("([^"]+)"`)
	groupRE = regexp.MustCompile(`\be\.Group\("([^"]+)"`)
	paramRE = regexp.MustCompile(`:[^/]+|\*`)
)

// publicRoutes reads the server's route table and returns a sample path for
// every route that is not an ops path (":param" and "*" filled in).
func publicRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "server", "internal", "httpapi", "routes.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range routeRE.FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1])
	}
	for _, m := range groupRE.FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1]+"/x")
	}
	var public []string
	for _, p := range out {
		p = paramRE.ReplaceAllString(p, "x")
		if !slices.Contains(opsPaths, p) {
			public = append(public, p)
		}
	}
	// Guard against a route table this parser no longer understands.
	for _, want := range []string{"/", "/widget.js", "/api/v1/x"} {
		if !slices.Contains(public, want) {
			t.Fatalf("routes.go: found no route %s among %v; update publicRoutes", want, public)
		}
	}
	return public
}

// TestKustomizeBuild lets kustomize itself build the manifests: with the
// operator's env file the Secret is generated and the Deployment refers to
// it by its hashed name; without the file the build fails rather than apply
// anything in its place.
func TestKustomizeBuild(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not on PATH; skipping `kubectl kustomize`")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("kubernetes")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kubectl", "kustomize", dir).CombinedOutput(); err == nil {
		t.Errorf("kubectl kustomize without holler.env succeeded; it must fail:\n%s", out)
	}
	example, err := os.ReadFile(filepath.Join(dir, "holler.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "holler.env"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("kubectl", "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	path := filepath.Join(t.TempDir(), "built.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	byKind := map[string][]doc{}
	for _, d := range decodeAll(t, path) {
		byKind[getString(d, "kind")] = append(byKind[getString(d, "kind")], d)
	}
	secret := one(t, byKind, "Secret")
	name := getString(secret, "metadata", "name")
	if !strings.HasPrefix(name, "holler-") || getString(secret, "metadata", "namespace") != "holler" {
		t.Errorf("generated Secret %s/%s, want holler/holler-<hash>", getString(secret, "metadata", "namespace"), name)
	}
	if getString(secret, "data", "HOLLER_DATABASE_URL") == "" {
		t.Error("generated Secret has no HOLLER_DATABASE_URL")
	}
	var refs []string
	for _, c := range getList(one(t, byKind, "Deployment"), "spec", "template", "spec", "containers") {
		for _, e := range getList(c, "envFrom") {
			refs = append(refs, getString(e, "secretRef", "name"))
		}
	}
	if !slices.Contains(refs, name) {
		t.Errorf("Deployment reads Secrets %v, want the generated %s", refs, name)
	}
}
