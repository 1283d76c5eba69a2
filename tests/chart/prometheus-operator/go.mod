// Pins the Prometheus Operator whose CRDs (example/prometheus-operator-crd in
// the module) the chart's server-side dry-run installs; go.sum verifies them.
// tests/chart/prometheus_operator_crds.sh prints the directory.
module prebell.local/tests/chart/prometheus-operator

go 1.24

require github.com/prometheus-operator/prometheus-operator v0.85.0
