package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// RequireEnv names the environment variable that turns a missing
// PostgreSQL into a test failure instead of a skip.
const RequireEnv = "HASHLAB_REQUIRE_PG"

// Bin returns the directory holding initdb and postgres: Debian's
// /usr/lib/postgresql/<version>/bin (the newest version), else the
// directory of initdb on PATH; "" when neither has both.
func Bin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start initdb's and starts a PostgreSQL cluster for this test and returns
// the URL of its empty database "hashlab" (user hashlab, no password,
// 127.0.0.1 on a free port). The server is stopped and its directory
// removed when the test ends. Without PostgreSQL the test is skipped, or
// fails when HASHLAB_REQUIRE_PG is set.
func Start(tb testing.TB) string {
	tb.Helper()
	bin := Bin()
	if bin == "" {
		msg := "pgtest: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb and no initdb on PATH); install Debian's postgresql package (apt-get install postgresql) or run ./scripts/test.sh, which does"
		if os.Getenv(RequireEnv) != "" {
			tb.Fatal(msg + " (" + RequireEnv + " is set, so this is a failure, not a skip)")
		}
		tb.Skip(msg)
	}
	s, err := start(bin)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s.url
}

type server struct {
	dir  string
	cmd  *exec.Cmd
	done chan error
	url  string
	log  *bytes.Buffer
}

// credential is the unprivileged user the cluster runs as when this
// process is root (PostgreSQL refuses to run as root): postgres if it
// exists, else nobody.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("pgtest: running as root and neither user postgres nor nobody exists to run PostgreSQL as")
}

func start(bin string) (*server, error) {
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parents are private to root, and the server's
	// user must reach the data directory.
	dir, err := os.MkdirTemp("", "hashlab-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	data := filepath.Join(dir, "data")
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	tmpl, err := template(bin, cred)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := copyTree(tmpl, data, cred); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: copying the initdb template: %w", err)
	}
	var lastErr error
	for range 5 {
		s, err := run(bin, dir, data, cred)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// template returns a data directory initdb made for this PostgreSQL
// version and user, made once and kept in the temporary directory (initdb
// takes seconds; copying its result takes a fraction of one). Concurrent
// test processes race harmlessly: each makes its own and the first rename
// wins.
func template(bin string, cred *syscall.Credential) (string, error) {
	uid := os.Geteuid()
	if cred != nil {
		uid = int(cred.Uid)
	}
	final := filepath.Join(os.TempDir(), fmt.Sprintf("hashlab-pgtest-template-%d-uid%d", pgVersion(bin), uid))
	if _, err := os.Stat(filepath.Join(final, "PG_VERSION")); err == nil {
		return final, nil
	}
	work, err := os.MkdirTemp("", "hashlab-pgtest-initdb-")
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer os.RemoveAll(work)
	if cred != nil {
		if err := os.Chown(work, int(cred.Uid), int(cred.Gid)); err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
	}
	data := filepath.Join(work, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "hashlab", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = work
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := os.Rename(data, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "PG_VERSION")); serr == nil {
			return final, nil // another process made it first
		}
		return "", fmt.Errorf("pgtest: keeping the initdb template: %w", err)
	}
	return final, nil
}

// copyTree copies the directory src to dst (which must not exist),
// keeping modes, owned by cred's user when given.
func copyTree(src, dst string, cred *syscall.Credential) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
				return err
			}
		case info.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, b, info.Mode().Perm()); err != nil {
				return err
			}
		}
		if cred != nil {
			return os.Lchown(target, int(cred.Uid), int(cred.Gid))
		}
		return nil
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts postgres on a free port and waits until it accepts queries;
// it fails (and may be retried) when another process took the port.
func run(bin, dir, data string, cred *syscall.Credential) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Dir = dir
	// The server dies with the test process, even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	s := &server{dir: dir, cmd: cmd, done: make(chan error, 1), log: &log}
	go func() { s.done <- cmd.Wait() }()
	base := fmt.Sprintf("postgres://hashlab@127.0.0.1:%d/%%s?sslmode=disable", port)
	admin, err := sql.Open("pgx", fmt.Sprintf(base, "postgres"))
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer admin.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("pgtest: postgres exited on port %d: %v\n%s", port, err, log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := admin.ExecContext(ctx, `CREATE DATABASE hashlab`)
		cancel()
		// 42P04: an earlier try that timed out on our side created it.
		if err == nil || strings.Contains(err.Error(), "42P04") {
			break
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("pgtest: postgres on port %d not ready after 60 s: %v\n%s", port, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.url = fmt.Sprintf(base, "hashlab")
	return s, nil
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGQUIT)
	<-s.done
}

// stop shuts the server down (fast shutdown: open sessions are ended) and
// removes its directory.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// Installed reports whether PostgreSQL's binaries are here (Start can run
// a cluster).
func Installed() bool { return Bin() != "" }
