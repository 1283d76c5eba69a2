// etcd, built from its upstream Go module at the version pinned in go.mod
// (Debian's etcd 3.4 is too old for the watch features kube-apiserver uses).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
