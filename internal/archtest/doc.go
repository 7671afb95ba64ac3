// Package archtest holds the architecture test: domain packages stay free
// of I/O and never import adapters, so the arrows point inward.
package archtest
