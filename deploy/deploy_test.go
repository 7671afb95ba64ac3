package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/server"
)

var update = flag.Bool("update", false, "rewrite docs/img/deploy-dashboard.svg from this run's Prometheus queries")

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// hashlabBin builds the hashlab binary once for the package's tests.
func hashlabBin(t *testing.T) string {
	t.Helper()
	root := sharedtest.RepoRoot(t)
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "hashlab-deploy-test")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "hashlab")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hashlab")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func deployFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{sharedtest.RepoRoot(t), "deploy"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// commands are the hashlab commands the deployment files run.
var commands = [][]string{{"serve"}, {"ingest"}, {"db", "migrate"}, {"sim", "run"}, {"sim", "merge"}}

var flagLine = regexp.MustCompile(`(?m)^\s+-([a-z0-9][a-z0-9-]*)`)

// helpFlags returns the flags `hashlab CMD --help` lists.
func helpFlags(t *testing.T, cmd []string) map[string]bool {
	t.Helper()
	out, err := exec.Command(hashlabBin(t), append(slices.Clone(cmd), "--help")...).CombinedOutput()
	if err != nil {
		t.Fatalf("hashlab %s --help: %v\n%s", strings.Join(cmd, " "), err, out)
	}
	set := map[string]bool{}
	for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
		set[m[1]] = true
	}
	if len(set) == 0 {
		t.Fatalf("hashlab %s --help lists no flags:\n%s", strings.Join(cmd, " "), out)
	}
	return set
}

// checkArgs checks that args run a real hashlab command with flags it has,
// and returns the command and the flags' values (name → value; "" for a
// boolean).
func checkArgs(t *testing.T, where string, args []string) (cmd []string, flags map[string]string) {
	t.Helper()
	for _, c := range commands {
		if len(args) >= len(c) && slices.Equal(args[:len(c)], c) {
			cmd = c
		}
	}
	if cmd == nil {
		t.Errorf("%s: %q is not a hashlab command the tests know (%v)", where, args, commands)
		return nil, nil
	}
	known := helpFlags(t, cmd)
	flags = map[string]string{}
	for i := len(cmd); i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[name] {
			t.Errorf("%s: hashlab %s has no flag --%s", where, strings.Join(cmd, " "), name)
			continue
		}
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !boolFlags[name] {
			val = args[i+1]
			i++
		}
		flags[name] = val
	}
	return cmd, flags
}

var boolFlags = map[string]bool{"follow": true, "json": true}

// splitDocs splits a multi-document YAML file.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// decodeK8s decodes one manifest strictly into its upstream API type: an
// unknown or misspelt field, a duplicate key or a wrong type is an error.
func decodeK8s(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	default:
		return nil, fmt.Errorf("apiVersion %q kind %q: not a type this test decodes", tm.APIVersion, tm.Kind)
	}
	if err := sigsyaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func TestKubernetesManifestsDecodeStrictly(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sharedtest.RepoRoot(t), "deploy", "k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	configMaps := map[string]*corev1.ConfigMap{}
	deployments := map[string]*appsv1.Deployment{}
	jobs := map[string]*batchv1.Job{}
	services := map[string]*corev1.Service{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for i, doc := range splitDocs(b) {
			where := fmt.Sprintf("%s document %d", filepath.Base(f), i+1)
			obj, err := decodeK8s(doc)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			var pod *corev1.PodSpec
			switch o := obj.(type) {
			case *appsv1.Deployment:
				deployments[o.Name], pod = o, &o.Spec.Template.Spec
				if !labelsMatch(o.Spec.Selector.MatchLabels, o.Spec.Template.Labels) {
					t.Errorf("%s: selector %v does not select the template's labels %v", where, o.Spec.Selector.MatchLabels, o.Spec.Template.Labels)
				}
			case *batchv1.Job:
				jobs[o.Name], pod = o, &o.Spec.Template.Spec
			case *corev1.Service:
				services[o.Name] = o
			case *corev1.ConfigMap:
				configMaps[o.Name] = o
			}
			if pod == nil {
				continue
			}
			for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
				if !strings.HasPrefix(c.Image, "hashlab") {
					continue
				}
				_, flags := checkArgs(t, where+" container "+c.Name, c.Args)
				env := map[string]bool{}
				for _, e := range c.Env {
					env[e.Name] = true
				}
				for _, v := range flags {
					for _, ref := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(v, -1) {
						if !env[ref[1]] {
							t.Errorf("%s: %s refers to $(%s), which the container's env does not define", where, c.Name, ref[1])
						}
					}
				}
			}
		}
	}

	// The API: replicas scraped through their annotations on the port
	// they listen on, ready when /healthz answers.
	serve := deployments["hashlab-serve"]
	if serve == nil {
		t.Fatal("no Deployment hashlab-serve")
	}
	if serve.Spec.Replicas == nil || *serve.Spec.Replicas < 2 {
		t.Errorf("hashlab-serve replicas %v, want at least 2", serve.Spec.Replicas)
	}
	c := serve.Spec.Template.Spec.Containers[0]
	_, flags := checkArgs(t, "hashlab-serve", c.Args)
	_, port, _ := net.SplitHostPort(flags["addr"])
	ann := serve.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != port || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v, want scrape=true, port=%s (the --addr port), path=/metrics", ann, port)
	}
	if len(c.Ports) == 0 || strconv.Itoa(int(c.Ports[0].ContainerPort)) != port {
		t.Errorf("container ports %v, want %s", c.Ports, port)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("readiness probe %v, want GET /healthz", c.ReadinessProbe)
	}
	if svc := services["hashlab"]; svc == nil || !labelsMatch(svc.Spec.Selector, serve.Spec.Template.Labels) {
		t.Errorf("Service hashlab does not select the serve pods")
	}
	// One writer, never two at once.
	ing := deployments["hashlab-ingest"]
	if ing == nil {
		t.Fatal("no Deployment hashlab-ingest")
	}
	if ing.Spec.Replicas == nil || *ing.Spec.Replicas != 1 || ing.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("hashlab-ingest: replicas %v strategy %q, want 1 and Recreate", ing.Spec.Replicas, ing.Spec.Strategy.Type)
	}
	if _, f := checkArgs(t, "hashlab-ingest", ing.Spec.Template.Spec.Containers[0].Args); !hasKey(f, "follow") || !hasKey(f, "db") {
		t.Errorf("hashlab-ingest runs without --follow or --db: %v", f)
	}
	// The in-cluster scrape job is a configuration Prometheus accepts.
	if cm := configMaps["hashlab-prometheus"]; cm == nil || cm.Data["prometheus.yml"] == "" {
		t.Error("no ConfigMap hashlab-prometheus with prometheus.yml")
	} else {
		// Debian's Prometheus is built without Kubernetes discovery, so
		// promtool checks the job with its discovery swapped for a static
		// target: the relabelling rules and the rest as shipped.
		cfg := regexp.MustCompile(`kubernetes_sd_configs:(\s*)- role: pod`).ReplaceAllString(cm.Data["prometheus.yml"], `static_configs:${1}- targets: ["pod:8080"]`)
		if cfg == cm.Data["prometheus.yml"] {
			t.Error("k8s/prometheus-config.yaml: no kubernetes_sd_configs with role pod")
		}
		promtoolCheck(t, "k8s/prometheus-config.yaml", []byte(cfg))
	}
	// The Monte Carlo Indexed Job.
	if j := jobs["hashlab-sim-sweep"]; j == nil || j.Spec.CompletionMode == nil || *j.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("hashlab-sim-sweep is not an Indexed Job")
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestStrictDecodingRefusesTypos: the strictness is real: a misspelt
// field in a manifest fails.
func TestStrictDecodingRefusesTypos(t *testing.T) {
	doc := deployFile(t, "k8s", "ingest.yaml")
	bad := bytes.Replace(doc, []byte("  replicas: 1"), []byte("  replica: 1"), 1)
	if bytes.Equal(bad, doc) {
		t.Fatal("ingest.yaml has no '  replicas: 1' line")
	}
	if _, err := decodeK8s(splitDocs(bad)[0]); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("a misspelt field decoded: %v", err)
	}
	var c composeFile
	if err := decodeCompose(bytes.Replace(deployFile(t, "compose.yaml"), []byte("    command:"), []byte("    comand:"), 1), &c); err == nil {
		t.Error("a misspelt compose field decoded")
	}
}

// composeFile is the part of the Compose specification the shipped file
// uses; decodeCompose refuses any other field.
type composeFile struct {
	Name     string                    `yaml:"name"`
	XHashlab composeService            `yaml:"x-hashlab"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]*struct{}      `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Restart     string            `yaml:"restart"`
	DependsOn   yaml.Node         `yaml:"depends_on"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
}

func decodeCompose(b []byte, c *composeFile) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(c)
}

// dependsOn lists a service's dependencies (short or long syntax).
func (s composeService) dependsOn() []string {
	var out []string
	switch s.DependsOn.Kind {
	case yaml.SequenceNode:
		for _, n := range s.DependsOn.Content {
			out = append(out, n.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(s.DependsOn.Content); i += 2 {
			out = append(out, s.DependsOn.Content[i].Value)
		}
	}
	return out
}

func TestComposeFile(t *testing.T) {
	var c composeFile
	if err := decodeCompose(deployFile(t, "compose.yaml"), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	if want := []string{"grafana", "ingest", "migrate", "postgres", "prometheus", "proxy", "serve-1", "serve-2"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	root := sharedtest.RepoRoot(t)
	deployDir := filepath.Join(root, "deploy")
	for name, s := range c.Services {
		for _, d := range s.dependsOn() {
			if _, ok := c.Services[d]; !ok {
				t.Errorf("%s depends on %q, which is not a service", name, d)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(deployDir, src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s mounts volume %q, which is not declared", name, src)
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(deployDir, s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s builds from %s: %v", name, s.Build.Dockerfile, err)
			}
		}
	}
	ports := map[string]string{} // serve service → port
	for _, name := range []string{"migrate", "ingest", "serve-1", "serve-2"} {
		s := c.Services[name]
		if s.Image != "hashlab:dev" || s.Build == nil {
			t.Errorf("%s: image %q build %v, want the hashlab image built from deploy/Dockerfile", name, s.Image, s.Build)
		}
		cmd, flags := checkArgs(t, "compose "+name, s.Command)
		if !strings.HasPrefix(flags["db"], "postgres://") {
			t.Errorf("%s: --db %q, want a postgres:// URL", name, flags["db"])
		}
		if cmd[0] == "serve" {
			_, ports[name], _ = net.SplitHostPort(flags["addr"])
			if s.Environment["HASHLAB_TOKEN"] == "" {
				t.Errorf("%s listens off loopback without HASHLAB_TOKEN", name)
			}
		}
		if cmd[0] == "ingest" && !hasKey(flags, "follow") {
			t.Errorf("ingest runs without --follow")
		}
	}
	// nginx balances over exactly the serve replicas.
	var upstream []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9-]+:\d+)`).FindAllStringSubmatch(string(deployFile(t, "nginx.conf")), -1) {
		upstream = append(upstream, m[1])
	}
	// Prometheus scrapes exactly the serve replicas.
	var targets []string
	for _, sc := range readPromConfig(t).ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	var want []string
	for name, p := range ports {
		want = append(want, name+":"+p)
	}
	for _, l := range [][]string{upstream, targets, want} {
		sort.Strings(l)
	}
	if !slices.Equal(upstream, want) || !slices.Equal(targets, want) {
		t.Errorf("nginx upstream %v, Prometheus targets %v, want the serve replicas %v", upstream, targets, want)
	}
}

// promtoolCheck runs Debian's `promtool check config` on a Prometheus
// configuration. Without promtool it logs and returns, unless
// HASHLAB_REQUIRE_PROMETHEUS is set (scripts/test.sh sets it).
func promtoolCheck(t *testing.T, where string, cfg []byte) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("HASHLAB_REQUIRE_PROMETHEUS") != "" {
			t.Errorf("%s: HASHLAB_REQUIRE_PROMETHEUS is set and promtool is not on PATH", where)
		} else {
			t.Logf("%s: not checked: promtool is not installed (Debian's prometheus package; scripts/test.sh installs it)", where)
		}
		return
	}
	f := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(f, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", "--syntax-only", f).CombinedOutput(); err != nil {
		t.Errorf("%s: promtool check config: %v\n%s", where, err, out)
	}
}

// promtoolIn runs Debian's promtool in deploy/ (skipped without it unless
// HASHLAB_REQUIRE_PROMETHEUS is set).
func promtoolIn(t *testing.T, args ...string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("HASHLAB_REQUIRE_PROMETHEUS") == "" {
			t.Skip("promtool is not installed (Debian's prometheus package; scripts/test.sh installs it)")
		}
		t.Fatal("HASHLAB_REQUIRE_PROMETHEUS is set and promtool is not on PATH")
	}
	cmd := exec.Command(promtool, args...)
	cmd.Dir = filepath.Join(sharedtest.RepoRoot(t), "deploy")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// The shipped configuration as Prometheus reads it, rule files included.
func TestShippedPrometheusConfig(t *testing.T) {
	promtoolIn(t, "check", "config", "prometheus.yml")
}

// TestAlertRules: the rules parse, their unit tests pass (firing and not
// firing, with the annotations' text), and every metric they name but
// Prometheus's own up is one /metrics exports.
func TestAlertRules(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(deployFile(t, "prometheus-rules.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	exported := scrapeNames(t, server.Config{})
	for n := range scrapeNames(t, server.Config{History: following{server.NewSnapshotHistory()}}) {
		exported[n] = true
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			for _, name := range metricNames(r.Expr) {
				if name != "up" && !exported[name] {
					t.Errorf("alert %s names %s, which /metrics does not export", r.Alert, name)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no rules")
	}
	promtoolIn(t, "check", "rules", "prometheus-rules.yml")
	promtoolIn(t, "test", "rules", "prometheus-rules.test.yml")
}

// promConfig is the part of prometheus.yml the tests read; the test
// config is written from the shipped file's own map.
type promConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func readPromConfig(t *testing.T) promConfig {
	var c promConfig
	if err := yaml.Unmarshal(deployFile(t, "prometheus.yml"), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// dashboard is the part of the Grafana dashboard JSON the tests read.
type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

func readDashboard(t *testing.T) dashboard {
	var d dashboard
	if err := json.Unmarshal(deployFile(t, "grafana", "dashboards", "hashlab.json"), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Panels) == 0 {
		t.Fatal("dashboard has no panels")
	}
	return d
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdents    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	promKeywords  = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true}
	promTemplates = regexp.MustCompile(`\$__\w+|\$\{[^}]*\}|\$\w+`)
)

// metricNames returns the metric names a PromQL expression selects: every
// identifier that is not a function call, a keyword, a label name in a
// matcher or grouping clause, or inside a string.
func metricNames(expr string) []string {
	s := promTemplates.ReplaceAllString(expr, "1m")
	s = promStrings.ReplaceAllString(s, `""`)
	s = promMatchers.ReplaceAllString(s, "")
	s = promRanges.ReplaceAllString(s, "")
	s = promGrouping.ReplaceAllString(s, "")
	var out []string
	for _, id := range promIdents.FindAllString(s, -1) {
		if strings.HasSuffix(id, "(") || promKeywords[strings.ToLower(strings.TrimSpace(id))] {
			continue
		}
		out = append(out, strings.TrimSpace(id))
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.99, sum by (route, le) (rate(hashlab_http_request_duration_seconds_bucket[$__rate_interval])))`: {"hashlab_http_request_duration_seconds_bucket"},
		`sum by (code) (rate(hashlab_http_requests_total{code=~"4..|5.."}[5m]))`:                                              {"hashlab_http_requests_total"},
		`sum by (instance) (a_used) / on (instance) b_total or vector(0)`:                                                     {"a_used", "b_total"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", expr, got, want)
		}
	}
}

// following is the server's history with a store that follows its node
// 2 blocks behind, as a store written by ingest --follow reports it.
type following struct{ server.History }

func (f following) Tip(ctx context.Context) (server.Tip, error) {
	tip, err := f.History.Tip(ctx)
	tip.BlocksBehind = 2
	return tip, err
}

// scrapeNames returns the sample names a real /metrics answer carries.
func scrapeNames(t *testing.T, cfg server.Config) map[string]bool {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer func() { ts.Close(); s.Close() }()
	for _, p := range []string{"/api/v1/hashprice", "/api/v1/hashprice?price=x"} {
		if r, err := http.Get(ts.URL + p); err == nil {
			r.Body.Close()
		}
	}
	r, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.IndexAny(l, "{ "); i > 0 {
			names[l[:i]] = true
		}
	}
	return names
}

// TestGrafanaDashboardQueriesExportedMetrics: every panel's every query
// names only metrics that a real server's /metrics exports (one on the
// embedded snapshot, and one whose store follows a node, the only one that
// exports hashlab_blocks_behind_tip).
func TestGrafanaDashboardQueriesExportedMetrics(t *testing.T) {
	d := readDashboard(t)
	exported := scrapeNames(t, server.Config{})
	for n := range scrapeNames(t, server.Config{History: following{server.NewSnapshotHistory()}}) {
		exported[n] = true
	}
	if !exported["hashlab_hashprice_usd_per_ph_day"] || !exported["hashlab_blocks_behind_tip"] {
		t.Fatalf("scrapes miss the basics: %v", exported)
	}
	// Provisioning: the panels use the provisioned datasource, and the
	// dashboard provider reads the directory compose mounts the JSON into.
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(deployFile(t, "grafana", "provisioning", "datasources", "prometheus.yaml"), &ds); err != nil || len(ds.Datasources) != 1 {
		t.Fatalf("datasource provisioning: %v %v", err, ds)
	}
	if err := yaml.Unmarshal(deployFile(t, "grafana", "provisioning", "dashboards", "hashlab.yaml"), &prov); err != nil || len(prov.Providers) != 1 {
		t.Fatalf("dashboard provisioning: %v %v", err, prov)
	}
	var c composeFile
	if err := decodeCompose(deployFile(t, "compose.yaml"), &c); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Services["grafana"].Volumes, "./grafana/dashboards:"+prov.Providers[0].Options.Path+":ro") {
		t.Errorf("compose mounts %v; the dashboard provider reads %s", c.Services["grafana"].Volumes, prov.Providers[0].Options.Path)
	}
	if ds.Datasources[0].URL != "http://prometheus:9090" || c.Services["prometheus"].Image == "" {
		t.Errorf("datasource URL %q, want the compose prometheus service", ds.Datasources[0].URL)
	}
	seen := map[string]bool{}
	for _, p := range d.Panels {
		if p.Datasource.UID != ds.Datasources[0].UID || p.Datasource.Type != ds.Datasources[0].Type {
			t.Errorf("panel %q uses datasource %v, want the provisioned %s", p.Title, p.Datasource, ds.Datasources[0].UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := metricNames(tg.Expr)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				seen[n] = true
				if !exported[n] {
					t.Errorf("panel %q: query %q names %s, which /metrics does not export", p.Title, tg.Expr, n)
				}
			}
		}
	}
	// The panels the issue asks for.
	for _, n := range []string{"hashlab_hashprice_usd_per_ph_day", "hashlab_network_hashrate_estimate_hs", "hashlab_network_hashrate_estimate_low_hs", "hashlab_network_hashrate_estimate_high_hs",
		"hashlab_next_adjustment_expected_change_ratio", "hashlab_blocks_behind_tip", "hashlab_http_requests_total", "hashlab_http_request_duration_seconds_bucket"} {
		if !seen[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServe starts `hashlab serve` on a free loopback port with the
// embedded snapshot and returns its base URL.
func startServe(t *testing.T, bin string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--json")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("hashlab serve: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	var hello struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.URL == "" {
		t.Fatalf("hashlab serve said %q: %v", line, err)
	}
	return hello.URL
}

// testPromConfig is the shipped prometheus.yml with only the targets
// replaced (one per static config, in order) and the intervals shortened.
func testPromConfig(t *testing.T, targets []string) []byte {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(deployFile(t, "prometheus.yml"), &m); err != nil {
		t.Fatal(err)
	}
	m["global"].(map[string]any)["scrape_interval"] = "1s"
	// The rule files as shipped, from deploy/.
	rules := m["rule_files"].([]any)
	for i, f := range rules {
		rules[i] = filepath.Join(sharedtest.RepoRoot(t), "deploy", f.(string))
	}
	scs := m["scrape_configs"].([]any)
	if len(scs) != 1 {
		t.Fatalf("%d scrape configs, the test expects the one hashlab job", len(scs))
	}
	job := scs[0].(map[string]any)
	job["scrape_interval"], job["scrape_timeout"] = "1s", "1s"
	statics := job["static_configs"].([]any)
	if len(statics) != len(targets) {
		t.Fatalf("%d static configs for %d replicas", len(statics), len(targets))
	}
	for i, st := range statics {
		st.(map[string]any)["targets"] = []string{targets[i]}
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// promAPI queries Prometheus's HTTP API.
type promAPI struct{ base string }

type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
	Values [][]any           `json:"values"`
}

func (p promAPI) query(path string, params map[string]string) ([]promSeries, error) {
	q := make([]string, 0, len(params))
	for k, v := range params {
		q = append(q, k+"="+urlEscape(v))
	}
	r, err := http.Get(p.base + path + "?" + strings.Join(q, "&"))
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promSeries `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
		return nil, err
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("%s: %s", params["query"], out.Error)
	}
	return out.Data.Result, nil
}

func urlEscape(s string) string {
	return strings.NewReplacer("%", "%25", "+", "%2B", " ", "%20", "&", "%26", "#", "%23", "=", "%3D", "{", "%7B", "}", "%7D", "\"", "%22", "[", "%5B", "]", "%5D", "|", "%7C", "~", "%7E", "$", "%24").Replace(s)
}

func sampleValue(v []any) float64 {
	if len(v) != 2 {
		return 0
	}
	s, _ := v[1].(string)
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// TestPrometheusScrapesTwoReplicas runs Debian's prometheus with the
// shipped scrape configuration against two real `hashlab serve` processes
// and reads each replica's hashprice back through the query API; then runs
// every dashboard query through Prometheus and renders the panels (with
// -update, into docs/img/deploy-dashboard.svg for the README).
func TestPrometheusScrapesTwoReplicas(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("HASHLAB_REQUIRE_PROMETHEUS") == "" {
			t.Skip("prometheus is not installed (apt-get install prometheus; scripts/test.sh installs it and sets HASHLAB_REQUIRE_PROMETHEUS=1 so that CI never skips)")
		}
		t.Fatal("HASHLAB_REQUIRE_PROMETHEUS is set and prometheus is not on PATH")
	}
	bin := hashlabBin(t)
	replicas := []string{startServe(t, bin), startServe(t, bin)}
	var targets []string
	for _, u := range replicas {
		targets = append(targets, strings.TrimPrefix(u, "http://"))
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, testPromConfig(t, targets), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var promLog bytes.Buffer
	cmd := exec.Command(prom, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &promLog, &promLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	api := promAPI{base: "http://" + promAddr}
	start := time.Now()

	// Traffic on both replicas while Prometheus scrapes: cheap reads, bad
	// input, a history scan, a simulator job cancelled while it runs.
	ctx, stopTraffic := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, u := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			get := func(p string) {
				if r, err := client.Get(u + p); err == nil {
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
			}
			for i := 0; ctx.Err() == nil; i++ {
				get("/api/v1/hashprice")
				get("/api/v1/overview")
				if i%5 == 0 {
					get("/api/v1/hashprice?price=x")
					get("/api/v1/network/adjustments")
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	defer func() { stopTraffic(); wg.Wait() }()

	// Both replicas' hashprice, back through Prometheus.
	var res []promSeries
	for deadline := time.Now().Add(90 * time.Second); ; {
		res, err = api.query("/api/v1/query", map[string]string{"query": "hashlab_hashprice_usd_per_ph_day"})
		if err == nil && len(res) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus has %d series of hashlab_hashprice_usd_per_ph_day (err %v); its log:\n%s", len(res), err, promLog.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	got := map[string]float64{}
	for _, s := range res {
		if s.Metric["job"] != "hashlab" {
			t.Errorf("job label %q, want the shipped job hashlab", s.Metric["job"])
		}
		got[s.Metric["instance"]] = sampleValue(s.Value)
	}
	// The replicas' own answer, to the cent.
	r, err := http.Get(replicas[0] + "/api/v1/hashprice")
	if err != nil {
		t.Fatal(err)
	}
	var hp struct {
		USDPerPHDay float64 `json:"usd_per_ph_day"`
	}
	json.NewDecoder(r.Body).Decode(&hp)
	r.Body.Close()
	for _, inst := range []string{"serve-1", "serve-2"} {
		v, ok := got[inst]
		if !ok || v != hp.USDPerPHDay {
			t.Errorf("instance %s: hashprice %v (present %v), want the replica's %v (relabelled instances: %v)", inst, v, ok, hp.USDPerPHDay, got)
		}
	}
	t.Logf("hashlab_hashprice_usd_per_ph_day through Prometheus: %v (replica JSON %v)", got, hp.USDPerPHDay)
	// The shipped alerting rules are loaded, and none fires on two healthy
	// replicas of the embedded snapshot but those about the data: no
	// ingester follows a node here, and the snapshot is months old.
	if alerts, err := api.query("/api/v1/query", map[string]string{"query": `ALERTS{alertstate="firing"}`}); err != nil {
		t.Error(err)
	} else {
		for _, a := range alerts {
			if name := a.Metric["alertname"]; name != "HashlabIngestNotFollowing" && name != "HashlabStateStale" {
				t.Errorf("alert %s fires on healthy replicas: %v", name, a.Metric)
			}
		}
	}
	if rs := promRuleCount(t, api.base); rs == 0 {
		t.Error("Prometheus loaded no alerting rules from the shipped rule file")
	}

	// Now that Prometheus scrapes, on each replica two simulator jobs:
	// one runs, one waits for the run slot (the queue's depth); both are
	// cancelled a few seconds on.
	scraping := time.Now()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range replicas {
		var ids []string
		for range 2 {
			r, err := client.Post(u+"/api/v1/sim/jobs", "application/json", strings.NewReader(`{"scenario":"baseline","paths":2000,"years":3}`))
			if err != nil {
				t.Fatal(err)
			}
			var j struct {
				ID string `json:"id"`
			}
			json.NewDecoder(r.Body).Decode(&j)
			r.Body.Close()
			if r.StatusCode/100 != 2 || j.ID == "" {
				t.Fatalf("POST /api/v1/sim/jobs: %d", r.StatusCode)
			}
			ids = append(ids, j.ID)
		}
		time.AfterFunc(5*time.Second, func() {
			for _, id := range ids {
				req, _ := http.NewRequest("DELETE", u+"/api/v1/sim/jobs/"+id, nil)
				if r, err := client.Do(req); err == nil {
					r.Body.Close()
				}
			}
		})
	}

	// Let rates build up, then run every dashboard query through
	// Prometheus: each must parse, and each panel must show data.
	time.Sleep(time.Until(scraping.Add(15 * time.Second)))
	start = scraping.Add(-3 * time.Second)
	stopTraffic()
	wg.Wait()
	time.Sleep(2 * time.Second)
	end := time.Now()
	d := readDashboard(t)
	var rendered []renderedPanel
	for _, p := range d.Panels {
		rp := renderedPanel{panel: p}
		for _, tg := range p.Targets {
			expr := strings.ReplaceAll(tg.Expr, "$__rate_interval", "5s")
			series, err := api.query("/api/v1/query_range", map[string]string{"query": expr,
				"start": strconv.FormatInt(start.Unix(), 10), "end": strconv.FormatInt(end.Unix(), 10), "step": "1"})
			if err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
				continue
			}
			for _, s := range series {
				if hasPoints(s.Values) { // NaN throughout: a route without requests
					rp.series = append(rp.series, renderedSeries{label: legend(tg.LegendFormat, s.Metric), values: s.Values})
				}
			}
		}
		if len(rp.series) == 0 && p.Type != "table" {
			t.Errorf("panel %q: no data through Prometheus", p.Title)
		}
		if p.Type == "table" {
			series, err := api.query("/api/v1/query", map[string]string{"query": p.Targets[0].Expr})
			if err != nil || len(series) != 2 {
				t.Errorf("panel %q: %d rows, %v", p.Title, len(series), err)
			}
			for _, s := range series {
				rp.rows = append(rp.rows, legend(p.Targets[0].LegendFormat, s.Metric))
			}
		}
		rendered = append(rendered, rp)
	}
	svg := renderSVG(d.Title, rendered, start, end)
	if err := os.WriteFile(filepath.Join(dir, "dashboard.svg"), svg, 0o644); err != nil {
		t.Fatal(err)
	}
	if *update {
		out := filepath.Join(sharedtest.RepoRoot(t), "docs", "img", "deploy-dashboard.svg")
		if err := os.WriteFile(out, svg, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

// promRuleCount is how many rules Prometheus has loaded.
func promRuleCount(t *testing.T, base string) int {
	r, err := http.Get(base + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var out struct {
		Data struct {
			Groups []struct {
				Rules []json.RawMessage `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range out.Data.Groups {
		n += len(g.Rules)
	}
	return n
}

var legendVar = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

func legend(format string, labels map[string]string) string {
	if format == "" {
		return fmt.Sprint(labels)
	}
	return legendVar.ReplaceAllStringFunc(format, func(m string) string {
		return labels[legendVar.FindStringSubmatch(m)[1]]
	})
}
