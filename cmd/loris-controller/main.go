package main
import (
 _ "go.etcd.io/bbolt"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/gopacket/gopacket"
 _ "github.com/spf13/cobra"
)
func main(){}
