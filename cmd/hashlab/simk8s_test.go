package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

type k8sJob struct {
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Args []string `yaml:"args"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readJob(t *testing.T, name string) k8sJob {
	b, err := os.ReadFile(filepath.Join(sharedtest.RepoRoot(t), "deploy", "k8s", name))
	if err != nil {
		t.Fatal(err)
	}
	var j k8sJob
	if err := yaml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return j
}

// The shipped Kubernetes example works as written: each index of the
// Indexed Job runs its shard with JOB_COMPLETION_INDEX set, the merge Job
// merges the directory, and the result is the bytes of one run. (Paths are
// scaled down and /results is a temp dir; nothing else is changed.)
func TestK8sIndexedJobExample(t *testing.T) {
	sweep := readJob(t, "sim-sweep-job.yaml")
	merge := readJob(t, "sim-merge-job.yaml")
	if sweep.Spec.CompletionMode != "Indexed" {
		t.Fatalf("completionMode %q", sweep.Spec.CompletionMode)
	}
	dir := t.TempDir()
	fix := func(args []string) []string {
		var out []string
		for _, a := range args {
			a = strings.ReplaceAll(a, "/results", dir)
			if strings.HasPrefix(a, "--paths=") {
				a = "--paths=48"
			}
			if strings.HasPrefix(a, "--years=") {
				a = "--years=0.2"
			}
			out = append(out, a)
		}
		return out
	}
	args := fix(sweep.Spec.Template.Spec.Containers[0].Args)
	n := sweep.Spec.Completions
	if !strings.Contains(strings.Join(args, " "), "--shard=auto/"+strconv.Itoa(n)) {
		t.Fatalf("completions %d does not match the shard count in %v", n, args)
	}
	for i := 0; i < n; i++ {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Unix(1763992124, 0) }, Getenv: func(k string) string {
			if k == "JOB_COMPLETION_INDEX" {
				return strconv.Itoa(i)
			}
			return ""
		}}
		if code := run(context.Background(), env, args); code != 0 {
			t.Fatalf("index %d: exit %d: %s", i, code, errb.String())
		}
	}
	margs := fix(merge.Spec.Template.Spec.Containers[0].Args)
	code, _, errOut := fndRun(t, margs...)
	if code != 0 {
		t.Fatalf("merge %v: exit %d: %s", margs, code, errOut)
	}
	merged, err := os.ReadFile(filepath.Join(dir, "merged", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	one := t.TempDir()
	single := []string{}
	for _, a := range args {
		if !strings.HasPrefix(a, "--shard") && !strings.HasPrefix(a, "--out") {
			single = append(single, a)
		}
	}
	if code, _, errOut := fndRun(t, append(single, "--out", one)...); code != 0 {
		t.Fatalf("single run: %s", errOut)
	}
	want, _ := os.ReadFile(filepath.Join(one, "result.json"))
	if !bytes.Equal(merged, want) {
		t.Fatal("the Indexed Job's merged result differs from one run")
	}
}
