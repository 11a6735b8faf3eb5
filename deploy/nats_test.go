package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestComposeNATS: the NATS override adds a healthy NATS server and points
// both replicas of the main file at it.
func TestComposeNATS(t *testing.T) {
	docs := decodeAll(t, "docker-compose.nats.yml")
	if len(docs) != 1 {
		t.Fatalf("docker-compose.nats.yml: want 1 document, got %d", len(docs))
	}
	services := getMap(docs[0], "services")
	nats := getMap(services, "nats")
	if !strings.HasPrefix(getString(nats, "image"), "nats:") {
		t.Errorf("nats service image %q, want the official nats image", getString(nats, "image"))
	}
	if getMap(nats, "healthcheck") == nil {
		t.Error("nats service has no healthcheck")
	}
	if len(getList(nats, "ports")) != 0 {
		t.Error("nats service publishes ports on the host; only the replicas need it")
	}
	main := getMap(decodeAll(t, "docker-compose.yml")[0], "services")
	for _, name := range []string{"holler1", "holler2"} {
		if getMap(main, name) == nil {
			t.Fatalf("docker-compose.yml has no %s to extend", name)
		}
		svc := getMap(services, name)
		if got := composeEnv(t, svc)["HOLLER_NATS_URL"]; got != "nats://nats:4222" {
			t.Errorf("%s: HOLLER_NATS_URL %q, want nats://nats:4222", name, got)
		}
		if dependsOn(svc)["nats"] != "service_healthy" {
			t.Errorf("%s must wait for a healthy nats", name)
		}
	}
	t.Run("docker compose config", func(t *testing.T) {
		if _, err := exec.LookPath("docker"); err != nil {
			t.Skip("docker client not on PATH; skipping `docker compose config`")
		}
		if err := exec.Command("docker", "compose", "version").Run(); err != nil {
			t.Skip("docker client has no compose plugin; skipping `docker compose config`")
		}
		out, err := exec.Command("docker", "compose", "-f", "docker-compose.yml", "-f", "docker-compose.nats.yml", "config", "-q").CombinedOutput()
		if err != nil {
			t.Fatalf("docker compose config with the NATS override: %v\n%s", err, out)
		}
	})
}

// TestKustomizeNATS: enabling the nats component adds the NATS Deployment
// and Service and sets HOLLER_NATS_URL on the Holler container without
// losing its other settings.
func TestKustomizeNATS(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not on PATH; skipping `kubectl kustomize`")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("kubernetes")); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(dir, "holler.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "holler.env"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	kpath := filepath.Join(dir, "kustomization.yaml")
	k, err := os.ReadFile(kpath)
	if err != nil {
		t.Fatal(err)
	}
	// What the operator does: uncomment the components lines.
	enabled := strings.Replace(string(k), "# components:\n#   - nats\n", "components:\n  - nats\n", 1)
	if enabled == string(k) {
		t.Fatal("kustomization.yaml has no commented `components: - nats` to enable")
	}
	if err := os.WriteFile(kpath, []byte(enabled), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("kubectl", "kustomize", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize with the nats component: %v\n%s", err, out)
	}
	path := filepath.Join(t.TempDir(), "built.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	deployments, services := map[string]doc{}, map[string]doc{}
	for _, d := range decodeAll(t, path) {
		if getString(d, "metadata", "namespace") != "holler" && getString(d, "kind") != "Namespace" {
			t.Errorf("%s %s is outside the holler namespace", getString(d, "kind"), getString(d, "metadata", "name"))
		}
		switch getString(d, "kind") {
		case "Deployment":
			deployments[getString(d, "metadata", "name")] = d
		case "Service":
			services[getString(d, "metadata", "name")] = d
		}
	}
	if deployments["nats"] == nil || services["nats"] == nil {
		t.Fatalf("the nats component adds no nats Deployment and Service: %v %v", deployments, services)
	}
	env := map[string]string{}
	for _, c := range getList(deployments["holler"], "spec", "template", "spec", "containers") {
		if getString(c, "name") != "holler" {
			continue
		}
		for _, e := range getList(c, "env") {
			env[getString(e, "name")] = getString(e, "value")
		}
	}
	if env["HOLLER_NATS_URL"] != "nats://nats:4222" {
		t.Errorf("holler container HOLLER_NATS_URL %q, want nats://nats:4222", env["HOLLER_NATS_URL"])
	}
	if env["HOLLER_REQUIRE_DATABASE_URL"] != "1" {
		t.Error("the nats patch replaced the holler container's env instead of adding to it")
	}
}
