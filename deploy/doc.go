// Package deploy holds hashlab's deployment files and the tests that keep
// them true: the compose file (PostgreSQL, one ingester following a node,
// two API replicas behind nginx, Prometheus, Grafana with the provisioned
// hashlab dashboard), the Kubernetes manifests in k8s/, the Prometheus
// scrape configuration and the Grafana dashboard.
//
// The tests decode every Kubernetes manifest strictly into the upstream
// k8s.io/api types, decode the compose file strictly, check every hashlab
// command and flag in them against the real binary's --help, check that
// each Grafana panel's query names metrics a real /metrics exports, and run
// Debian's prometheus with the shipped scrape configuration against two
// real `hashlab serve` processes. The package has no code of its own.
package deploy
