"""Write a realistic Nessus v2 file (``.nessus``) for the scan-import benchmark, and optionally time
``lachan.vulns.parsers.iter_scan`` on it against the naive way (``lxml.etree.parse`` of the whole tree).

    .venv/bin/python bench/gen_nessus.py bench/out/scan.nessus                       # 10,000 findings / 500 hosts
    .venv/bin/python bench/gen_nessus.py OUT.nessus --findings 200000 --hosts 2000 --seed 7 --time

Hosts get addresses from the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and
from 10.0.0.0/8, FQDNs in example.org, an OS, a MAC. Findings come from a catalogue of real plugins
(ids, names, families, severities, CVEs, CVSS v3 scores and vectors, synopsis/description/solution as
Tenable writes them) with per-host plugin output (versions, ports, certificate subjects); every host
also gets the usual informational plugins (scan information, SYN scanner, service detection). The
file starts with a ``Policy`` section like real exports.

``--time`` prints wall and CPU seconds, records per second, and peak memory (tracemalloc peak of Python
allocations, and the process's max RSS) for the streaming parser and for the whole-tree parse.
"""

import argparse
import random
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# (plugin id, name, family, severity 0-4, port, svc, protocol, cves, cvss3, vector3, synopsis, description,
#  solution, output template)
PLUGINS = [
    ("19506", "Nessus Scan Information", "Settings", 0, 0, "general", "tcp", [], None, "",
     "This plugin displays information about the Nessus scan.",
     "This plugin displays, for each tested host, information about the scan itself :\n\n  - The version of the "
     "plugin set.\n  - The type of scanner (Nessus or Nessus Home).\n  - The version of the Nessus Engine.",
     "n/a", "Information about this scan : \n\nNessus version : 10.6.4\nPlugin feed version : 202401151230\n"
     "Scanner edition used : Nessus\nScan type : Normal\nScan name : Weekly {host}\nPort scanner(s) : nessus_syn_scanner\n"
     "Port range : default\nPing RTT : {rtt} ms\nThorough tests : no\nScan Start Date : 2024/1/16 2:10 +07"),
    ("11219", "Nessus SYN scanner", "Port scanners", 0, 443, "www", "tcp", [], None, "",
     "It is possible to determine which TCP ports are open.",
     "This plugin is a SYN 'half-open' port scanner.  It shall be reasonably quick even against a firewalled target.",
     "Protect your target with an IP filter.", "Port {port}/tcp was found to be open"),
    ("22964", "Service Detection", "Service detection", 0, 443, "www", "tcp", [], None, "",
     "The remote service could be identified.",
     "Nessus was able to identify the remote service by its banner or by looking at the error message it sends "
     "when it receives an HTTP request.", "n/a", "A web server is running on this port through TLSv1.2."),
    ("10287", "Traceroute Information", "General", 0, 0, "general", "udp", [], None, "",
     "It was possible to obtain traceroute information.", "Makes a traceroute to the remote host.", "n/a",
     "For your information, here is the traceroute from 10.9.8.7 to {host} : \n10.9.8.7\n10.9.0.1\n{host}\n\nHop Count: 3"),
    ("51192", "SSL Certificate Cannot Be Trusted", "General", 2, 443, "www", "tcp", [], 6.5,
     "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", "The SSL certificate for this service cannot be trusted.",
     "The server's X.509 certificate cannot be trusted. This situation can occur in three different ways, in "
     "which the chain of trust can be broken, as stated below :\n\n  - First, the top of the certificate chain "
     "sent by the server might not be descended from a known public certificate authority.",
     "Purchase or generate a proper SSL certificate for this service.",
     "The following certificate was at the top of the certificate\nchain sent by the remote host, but it is signed "
     "by an unknown\ncertificate authority :\n\n|-Subject : CN={fqdn}\n|-Issuer  : CN={fqdn}"),
    ("57582", "SSL Self-Signed Certificate", "General", 2, 443, "www", "tcp", [], 6.5,
     "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", "The SSL certificate chain for this service ends in an "
     "unrecognized self-signed certificate.", "The X.509 certificate chain for this service is not signed by a "
     "recognized certificate authority.", "Purchase or generate a proper SSL certificate for this service.",
     "The following certificate was found at the top of the certificate\nchain sent by the remote host, but is "
     "self-signed and was not\nfound in the list of known certificate authorities :\n\n|-Subject : CN={fqdn}"),
    ("104743", "TLS Version 1.0 Protocol Detection", "Service detection", 2, 443, "www", "tcp", [], 6.5,
     "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "The remote service encrypts traffic using an older version "
     "of TLS.", "The remote service accepts connections encrypted using TLS 1.0. TLS 1.0 has a number of "
     "cryptographic design flaws.", "Enable support for TLS 1.2 and 1.3, and disable support for TLS 1.0.",
     "TLSv1 is enabled and the server supports at least one cipher."),
    ("42873", "SSL Medium Strength Cipher Suites Supported (SWEET32)", "General", 3, 443, "www", "tcp",
     ["CVE-2016-2183"], 7.5, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
     "The remote service supports the use of medium strength SSL ciphers.",
     "The remote host supports the use of SSL ciphers that offer medium strength encryption. Nessus regards "
     "medium strength as any encryption that uses key lengths at least 64 bits and less than 112 bits, or else "
     "that uses the 3DES encryption suite.", "Reconfigure the affected application if possible to avoid use of "
     "medium strength ciphers.", "\n  Medium Strength Ciphers (> 64-bit and < 112-bit key, or 3DES)\n\n"
     "    Name                          Code             KEX           Auth     Encryption             MAC\n"
     "    DES-CBC3-SHA                  0x00, 0x0A       RSA           RSA      3DES-CBC(168)          SHA1"),
    ("97833", "MS17-010: Security Update for Microsoft Windows SMB Server (4013389) (ETERNALBLUE) (ETERNALCHAMPION) "
     "(ETERNALROMANCE) (ETERNALSYNERGY) (WannaCry) (EternalRocks) (Petya) (uncredentialed check)", "Windows", 4, 445,
     "cifs", "tcp", ["CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0147",
                     "CVE-2017-0148"], 8.1, "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
     "The remote Windows host is affected by multiple vulnerabilities.",
     "The remote Windows host is affected by the following vulnerabilities :\n\n  - Multiple remote code execution "
     "vulnerabilities exist in Microsoft Server Message Block 1.0 (SMBv1) due to improper handling of certain "
     "requests.", "Microsoft has released a set of patches for Windows Vista, 2008, 7, 2008 R2, 2012, 8.1, RT 8.1, "
     "2012 R2, 10, and 2016.", "Sent:\n00000000  00 00 00 4a ff 53 4d 42 25 00 00 00 00 18 01 28\nReceived:\n"
     "00000000  00 00 00 23 ff 53 4d 42 25 05 02 00 c0 98 01 28"),
    ("156032", "Apache Log4Shell RCE detection via callback correlation (Direct Check HTTP)", "Web Servers", 4, 8080,
     "www", "tcp", ["CVE-2021-44228"], 10.0, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
     "The remote web server is affected by a remote code execution vulnerability.",
     "The remote host is running Apache Log4j, a logging library for Java. Apache Log4j2 2.0-beta9 through 2.12.1 "
     "and 2.13.0 through 2.15.0 JNDI features used in configuration, log messages, and parameters do not protect "
     "against attacker controlled LDAP and other JNDI related endpoints.",
     "Contact the vendor for an update, or upgrade Apache Log4j to 2.15.0 or later.",
     "Nessus was able to exploit the issue using the following request :\n\nGET / HTTP/1.1\nHost: {host}:8080\n"
     "User-Agent: ${{jndi:ldap://log4shell-generic-{token}.r.nessus.org/nessus}}"),
    ("134862", "Apache Tomcat AJP Connector Request Injection (Ghostcat)", "Web Servers", 4, 8009, "ajp13", "tcp",
     ["CVE-2020-1938"], 9.8, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
     "There is a vulnerable AJP connector listening on the remote host.",
     "A file read/inclusion vulnerability was found in AJP connector. A remote, unauthenticated attacker could "
     "exploit this vulnerability to read web application files from a vulnerable server.",
     "Update the AJP configuration to require authorization and/or upgrade the Tomcat server to 7.0.100, 8.5.51, "
     "9.0.31 or later.", "\nNessus was able to exploit the issue using the following request :\n\n0x0000:  "
     "02 02 00 08 48 54 54 50 2F 31 2E 31 00 00 0F 2F    ....HTTP/1.1.../"),
    ("201198", "OpenSSH < 9.8 RCE", "Misc.", 3, 22, "ssh", "tcp", ["CVE-2024-6387"], 8.1,
     "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "The SSH server running on the remote host is affected by a "
     "remote code execution vulnerability.", "The version of OpenSSH installed on the remote host is prior to 9.8. "
     "It is, therefore, affected by a signal handler race condition (regreSSHion).", "Upgrade to OpenSSH version "
     "9.8 or later.", "\n  Version source    : SSH-2.0-OpenSSH_{ssh}\n  Installed version : {ssh}\n  Fixed version     : 9.8p1"),
    ("187315", "SSH Terrapin Prefix Truncation Weakness (CVE-2023-48795)", "Misc.", 2, 22, "ssh", "tcp",
     ["CVE-2023-48795"], 5.9, "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", "The remote SSH server is "
     "vulnerable to a mitm prefix truncation attack.", "The remote SSH server is vulnerable to a man-in-the-middle "
     "prefix truncation weakness known as Terrapin.", "Contact the vendor for an update with the strict key "
     "exchange countermeasures or disable the affected algorithms.", "Supports following vulnerable "
     "cipher suites:\n  chacha20-poly1305@openssh.com"),
    ("153953", "SSH Weak Key Exchange Algorithms Enabled", "Misc.", 1, 22, "ssh", "tcp", [], 3.7,
     "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", "The remote SSH server is configured to allow weak key "
     "exchange algorithms.", "The remote SSH server is configured to allow key exchange algorithms which are "
     "considered weak.", "Contact the vendor or consult product documentation to disable the weak algorithms.",
     "\nThe following weak key exchange algorithms are enabled : \n\n  diffie-hellman-group-exchange-sha1\n"
     "  diffie-hellman-group1-sha1"),
    ("10114", "ICMP Timestamp Request Remote Date Disclosure", "General", 1, 0, "general", "icmp",
     ["CVE-1999-0524"], None, "", "It is possible to determine the exact time set on the remote host.",
     "The remote host answers to an ICMP timestamp request.", "Filter out the ICMP timestamp requests (13), and the "
     "outgoing ICMP timestamp replies (14).", "The difference between the local and remote clocks is {rtt} seconds."),
    ("11213", "HTTP TRACE / TRACK Methods Allowed", "Web Servers", 2, 80, "www", "tcp",
     ["CVE-2003-1567", "CVE-2004-2320", "CVE-2010-0386"], 5.3, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
     "Debugging functions are enabled on the remote web server.", "The remote web server supports the TRACE and/or "
     "TRACK methods.", "Disable these HTTP methods. Refer to the plugin output for more information.",
     "\nTo disable these methods, add the following lines for each virtual\nhost in your configuration file :\n\n"
     "    RewriteEngine on\n    RewriteCond %{{REQUEST_METHOD}} ^(TRACE|TRACK)\n    RewriteRule .* - [F]"),
    ("58453", "Terminal Services Doesn't Use Network Level Authentication (NLA) Only", "Misc.", 2, 3389, "msrdp",
     "tcp", [], 4.0, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "The remote Terminal Services doesn't use "
     "Network Level Authentication only.", "The remote Terminal Services is not configured to use Network Level "
     "Authentication (NLA) only.", "Enable Network Level Authentication (NLA) on the remote RDP server.",
     "Nessus was able to negotiate non-NLA (Network Level Authentication) security."),
    ("35291", "SSL Certificate Signed Using Weak Hashing Algorithm", "General", 2, 443, "www", "tcp",
     ["CVE-2004-2761"], 7.5, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", "An SSL certificate in the "
     "certificate chain has been signed using a weak hash algorithm.", "The remote service uses an SSL certificate "
     "chain that has been signed using a cryptographically weak hashing algorithm (e.g. MD2, MD4, MD5, or SHA1).",
     "Contact the Certificate Authority to have the SSL certificate reissued.",
     "\nThe following certificates were part of the certificate chain sent by\nthe remote host, but contain hashes "
     "that are considered to be weak.\n\nSubject             : CN={fqdn}\nSignature Algorithm : SHA-1 With RSA Encryption"),
]
INFO_EVERY_HOST = ("19506", "11219", "22964")
OSES = ["Microsoft Windows Server 2016 Standard", "Microsoft Windows Server 2019 Datacenter", "Linux Kernel 5.15 on "
        "Ubuntu 22.04", "Linux Kernel 3.10.0-1160 on CentOS Linux release 7.9.2009", "CISCO IOS 15.2",
        "FortiOS on Fortinet FortiGate", "VMware ESXi 7.0"]
SSH_VERSIONS = ["7.4", "8.2p1", "8.9p1", "9.3p1"]


def addresses(count, rng):
    """``count`` distinct IPv4 addresses: the three documentation /24s first, then 10.x.y.z."""
    pool = [f"{net}.{i}" for net in ("192.0.2", "198.51.100", "203.0.113") for i in range(1, 255)]
    rng.shuffle(pool)
    chosen = pool[:count]
    seen = set(chosen)
    while len(chosen) < count:
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if ip not in seen:
            seen.add(ip)
            chosen.append(ip)
    return chosen


def _item(out, plugin, values, port=None):
    (pid, name, family, severity, default_port, svc, protocol, cves, cvss3, vector3, synopsis, description,
     solution, output) = plugin
    port = default_port if port is None else port
    risk = ("None", "Low", "Medium", "High", "Critical")[severity]
    out.write(f'<ReportItem port="{port}" svc_name={quoteattr(svc)} protocol="{protocol}" severity="{severity}" '
              f'pluginID="{pid}" pluginName={quoteattr(name)} pluginFamily={quoteattr(family)}>\n')
    out.write(f"<description>{escape(description)}</description>\n<fname>{pid}.nasl</fname>\n"
              f"<plugin_modification_date>2024/01/10</plugin_modification_date>\n<plugin_name>{escape(name)}</plugin_name>\n"
              f"<plugin_type>remote</plugin_type>\n<risk_factor>{risk}</risk_factor>\n<solution>{escape(solution)}</solution>\n"
              f"<synopsis>{escape(synopsis)}</synopsis>\n")
    if cvss3 is not None:
        out.write(f"<cvss3_base_score>{cvss3}</cvss3_base_score>\n<cvss3_vector>{vector3}</cvss3_vector>\n")
    for cve in cves:
        out.write(f"<cve>{cve}</cve>\n")
    out.write(f"<plugin_output>{escape(output.format(port=port, **values))}</plugin_output>\n</ReportItem>\n")


def write(path, findings=10_000, hosts=500, seed=1):
    """Write the file; returns (hosts, findings) written."""
    rng = random.Random(seed)
    by_id = {p[0]: p for p in PLUGINS}
    others = [p for p in PLUGINS if p[0] not in INFO_EVERY_HOST]
    hosts = max(1, min(hosts, findings))
    ips = addresses(hosts, rng)
    per_host = [findings // hosts + (1 if i < findings % hosts else 0) for i in range(hosts)]
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Policy><policyName>Weekly internal</policyName>\n'
                  "<Preferences><ServerPreferences>\n")
        for name, value in (("max_simult_tcp_sessions", "unlimited"), ("plugin_set", ";".join(str(rng.randrange(10000, 200000)) for _ in range(2000))), ("port_range", "default")):
            out.write(f"<preference><name>{name}</name>\n<value>{value}</value>\n</preference>\n")
        out.write('</ServerPreferences></Preferences></Policy>\n<Report name="Weekly internal" '
                  'xmlns:cm="http://www.nessus.org/cm">\n')
        for number, (ip, count) in enumerate(zip(ips, per_host, strict=True)):
            fqdn = f"srv{number:04d}.unit{number % 40:02d}.example.org"
            mac = "00:50:56:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
            values = {"host": ip, "fqdn": fqdn, "rtt": rng.randrange(1, 90), "ssh": rng.choice(SSH_VERSIONS),
                      "token": f"{rng.getrandbits(48):012x}"}
            out.write(f'<ReportHost name="{ip}"><HostProperties>\n<tag name="HOST_END">Tue Jan 16 03:{number % 60:02d}:11 2024</tag>\n'
                      f'<tag name="operating-system">{escape(rng.choice(OSES))}</tag>\n<tag name="mac-address">{mac}</tag>\n'
                      f'<tag name="host-ip">{ip}</tag>\n<tag name="host-fqdn">{fqdn}</tag>\n'
                      f'<tag name="HOST_START">Tue Jan 16 02:{number % 60:02d}:40 2024</tag>\n</HostProperties>\n')
            for i in range(count):
                if i < len(INFO_EVERY_HOST):
                    plugin = by_id[INFO_EVERY_HOST[i]]
                    port = None
                else:
                    plugin = rng.choice(others)
                    port = plugin[4] if rng.random() < 0.7 or plugin[4] == 0 else rng.choice((443, 8443, 9443, 4443, 10443))
                _item(out, plugin, values, port)
                written += 1
            out.write("</ReportHost>\n")
        out.write("</Report>\n</NessusClientData_v2>\n")
    return hosts, written


def _run(mode, path):
    """Parse ``path`` the ``mode`` way in this (fresh) process; print one JSON line of figures."""
    import json
    import os
    import resource
    import time
    import tracemalloc

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
    import django

    django.setup()
    from lxml import etree

    from lachan.vulns.parsers import iter_scan
    from lachan.vulns.records import ScanHost

    def streaming():
        hosts = findings = 0
        for record in iter_scan(path):
            if type(record) is ScanHost:
                hosts += 1
            else:
                findings += 1
        return hosts, findings

    def whole_tree():  # the naive way: the whole document in memory, then walked
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        hosts = tree.getroot().findall("Report/ReportHost")
        return len(hosts), sum(len(h.findall("ReportItem")) for h in hosts)

    run = streaming if mode == "stream" else whole_tree
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    hosts, findings = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()  # a second run for Python's own allocations (tracemalloc slows it down)
    run()
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"hosts": hosts, "findings": findings, "wall": wall, "cpu": cpu, "rss_before": base_rss / 1024,
                      "rss": rss / 1024, "py_peak": peak / 1e6}))


def time_parsers(path):
    import json
    import subprocess

    size = Path(path).stat().st_size
    print(f"{path}: {size / 1e6:.1f} MB")
    for mode, label in (("stream", "iter_scan (iterparse, streamed)"), ("naive", "naive: etree.parse, whole tree")):
        done = subprocess.run([sys.executable, __file__, str(path), "--measure", mode], capture_output=True,
                              text=True, check=True)
        f = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{label:<32} {f['wall']:6.2f} s wall {f['cpu']:6.2f} s CPU {f['findings'] / f['wall']:9,.0f} findings/s"
              f"  max RSS {f['rss']:7,.0f} MB (+{f['rss'] - f['rss_before']:,.0f} MB over the interpreter)"
              f"  Python peak {f['py_peak']:6.1f} MB  hosts={f['hosts']} findings={f['findings']}")
    print("(the naive parse only counts elements; iter_scan also builds every ScanHost/ScanFinding)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .nessus file to write")
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time", action="store_true", help="time iter_scan on the file (and the naive parse)")
    parser.add_argument("--measure", choices=("stream", "naive"), help=argparse.SUPPRESS)  # one run, existing file
    args = parser.parse_args(argv)
    if args.measure:
        _run(args.measure, args.out)
        return
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    hosts, findings = write(args.out, args.findings, args.hosts, args.seed)
    print(f"wrote {args.out}: {hosts} hosts, {findings} findings, {Path(args.out).stat().st_size / 1e6:.1f} MB")
    if args.time:
        time_parsers(args.out)


if __name__ == "__main__":
    main()
