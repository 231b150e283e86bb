package main

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"
)

func newPKICmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Make a private CA and certificates for OpenFlow TLS and the HTTPS API",
		Long: `pki makes the certificates that loris-controller's --openflow-tls-* and
--api-tls-* flags and Open vSwitch's set-ssl need. Keys are ECDSA P-256;
existing files are never overwritten.`,
		Example: `  lorisctl pki ca --dir /etc/loris/pki
  lorisctl pki cert controller --dir /etc/loris/pki --ip 10.0.0.1
  lorisctl pki cert host1 --dir /etc/loris/pki
  ovs-vsctl set-ssl /etc/loris/pki/host1-key.pem /etc/loris/pki/host1.pem /etc/loris/pki/ca.pem`,
	}
	groupRun(cmd)
	cmd.AddCommand(newPKICACmd(a), newPKICertCmd(a))
	return cmd
}

func newPKICACmd(a *app) *cobra.Command {
	var dir, name string
	var days int
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Create a CA (DIR/ca.pem, DIR/ca-key.pem)",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErrorf("--dir is required")
			}
			if days <= 0 {
				return usageErrorf("--days must be positive")
			}
			if err := makeCA(dir, name, time.Duration(days)*24*time.Hour, a.now()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "CA written to %s and %s\n", dir+"/"+caCertFile, dir+"/"+caKeyFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the CA files (created 0700 if missing)")
	cmd.Flags().StringVar(&name, "name", "loris CA", "common name of the CA")
	cmd.Flags().IntVar(&days, "days", 3650, "validity in days")
	return cmd
}

func newPKICertCmd(a *app) *cobra.Command {
	var dir string
	var ips, dns []string
	var days int
	cmd := &cobra.Command{
		Use:   "cert NAME",
		Short: "Issue a certificate signed by the CA in --dir (DIR/NAME.pem, DIR/NAME-key.pem)",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErrorf("--dir is required")
			}
			if days <= 0 {
				return usageErrorf("--days must be positive")
			}
			req := certRequest{name: args[0], dns: dns, ttl: time.Duration(days) * 24 * time.Hour}
			for _, s := range ips {
				ip := net.ParseIP(s)
				if ip == nil {
					return usageErrorf("--ip %q is not an IP address", s)
				}
				req.ips = append(req.ips, ip)
			}
			if err := makeCert(dir, req, a.now()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "certificate written to %s and %s\n", certFile(dir, req.name), keyFile(dir, req.name))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory holding the CA (lorisctl pki ca)")
	cmd.Flags().StringSliceVar(&ips, "ip", nil, "IP address the certificate is valid for (repeatable)")
	cmd.Flags().StringSliceVar(&dns, "dns", nil, "DNS name the certificate is valid for (repeatable)")
	cmd.Flags().IntVar(&days, "days", 825, "validity in days (never beyond the CA's)")
	return cmd
}
