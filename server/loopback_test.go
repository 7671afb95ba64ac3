package server

import (
	"net"
	"strings"
	"testing"
)

// IsLoopback parses with netip (no allocation per request) and answers
// as it did with net.ParseIP.
func TestIsLoopbackAsNetParseIP(t *testing.T) {
	old := func(addr string) bool {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		if strings.EqualFold(host, "localhost") {
			return true
		}
		ip := net.ParseIP(strings.Trim(host, "[]"))
		return ip != nil && ip.IsLoopback()
	}
	for _, a := range []string{"127.0.0.1:80", "127.0.0.2", "[::1]:8080", "::1", "[::ffff:127.0.0.1]:1", "::ffff:127.0.0.1", "[::1%lo]:80", "10.0.0.1:1", "example.com:80", "LOCALHOST:1", "", "[]:1", "0.0.0.0:80", "[::]:80", "127.1:80", "01.0.0.1", "127.000.000.001"} {
		if IsLoopback(a) != old(a) {
			t.Errorf("%q: %v, was %v", a, IsLoopback(a), old(a))
		}
	}
}
