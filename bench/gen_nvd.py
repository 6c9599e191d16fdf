"""A synthetic NVD CVE API 2.0 year feed, and how fast ``lachan.vulns.advisories.iter_advisories`` reads it.

    .venv/bin/python bench/gen_nvd.py bench/out/nvdcve-2.0-synthetic.json --records 40000 --seed 1 --time
    .venv/bin/python bench/gen_nvd.py bench/out/nvd.json.gz --records 5000       # gzip by the file name
    .venv/bin/python bench/gen_nvd.py bench/out/nvd.json --time --naive           # also json.load the whole file

The records are built from the eight real NVD records in ../shared/data/advisories/nvd (their keys, nesting,
CVSS blocks, reference lists): each generated record takes one of them as its template and gets a new id
(CVE-<year>-NNNNN), dates within the year, an English and a Spanish description of 300–600 characters, a
status (Analyzed, Modified, Awaiting Analysis without configurations, Deferred, Rejected), CVSS v3.1 (NVD
Primary and/or a CNA Secondary), v2 on older-style records, v4.0 on some, 1–2 CWEs, 2–40 references, and
1–3 configurations over a pool of 5,000 vendor/product pairs: OR nodes with 1–12 CPE matches (exact
versions, or versionStart/End Including/Excluding ranges), and about a quarter AND configurations ("firmware
running on hardware": a vulnerable node AND a non-vulnerable one), some CISA KEV fields. A real NVD year
(2024) has about 40,000 records and 350 MB; the default is 40,000 records, written pretty-printed (indent 2)
as the NVD and fkie-cad feeds are.

``--time`` reads the file back in a fresh child process with ``iter_advisories`` (streamed, ijson) and
prints the wall and CPU time, records/s, MB/s and the child's peak RSS (``ru_maxrss``); ``--naive`` also
runs the naive way in another child — ``json.load`` of the whole file, then the same record conversion —
for the comparison of time and peak memory.
"""

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT.parent / "shared/data/advisories/nvd"
sys.path.insert(0, str(ROOT))


def _words(text):
    return text.split()


VENDORS = _words("""apache microsoft cisco fortinet paloaltonetworks citrix ivanti vmware oracle ibm google mozilla adobe
apple linux redhat debian canonical suse juniper f5 sonicwall zyxel netgear tp-link d-link asus huawei zte
hikvision dahua synology qnap wordpress drupal joomla gitlab atlassian jenkins elastic grafana nginx openssl
php python nodejs golang rust-lang djangoproject rubyonrails laravel spring vmware_tanzu sap siemens schneider
rockwellautomation moxa advantech phoenixcontact abb honeywell mitsubishielectric omron wago sophos trendmicro
mcafee broadcom symantec checkpoint watchguard barracuda arubanetworks hp hpe dell lenovo intel amd nvidia
qualcomm mediatek samsung lg sony xiaomi oppo vivo zoom slack mattermost rocket.chat nextcloud owncloud
roundcube zimbra exim postfix dovecot sendmail squid haproxy traefik envoyproxy kubernetes docker containerd
veeam commvault veritas solarwinds manageengine progress moveit jetbrains teamcity sonatype""")
STEMS = _words("""http_server web_server firmware router vpn ssl_vpn gateway mail_server webmail cms plugin theme
portal management_console appliance controller agent client server database driver kernel library toolkit
framework runtime sdk browser viewer reader editor office suite hypervisor container_runtime orchestrator
proxy load_balancer firewall ids endpoint_protection antivirus backup storage nas camera nvr dvr switch
access_point modem ont scada hmi plc historian""")
PREFIXES = ["", "enterprise_", "cloud_", "smart_", "secure_", "pro_", "mobile_", "edge_", "unified_", "connect_"]
CWES = ["CWE-79", "CWE-787", "CWE-89", "CWE-20", "CWE-125", "CWE-78", "CWE-416", "CWE-22", "CWE-352", "CWE-434",
        "CWE-862", "CWE-476", "CWE-287", "CWE-190", "CWE-502", "CWE-77", "CWE-119", "CWE-798", "CWE-918",
        "CWE-306", "CWE-362", "CWE-269", "CWE-94", "CWE-863", "CWE-276", "CWE-200", "CWE-522", "CWE-732"]
WORDS = _words("""a vulnerability in the component of allows remote unauthenticated attacker to execute arbitrary code
via crafted request due to improper validation input buffer overflow memory corruption could lead denial
service information disclosure privilege escalation authenticated local user affected versions before
successful exploitation this issue affects through when configured with specially HTTP packets parameter
endpoint which may cause crash read sensitive files bypass authentication inject commands""")
STATUSES = [("Analyzed", 55), ("Modified", 20), ("Awaiting Analysis", 15), ("Deferred", 5),
            ("Undergoing Analysis", 3), ("Rejected", 2)]
V31 = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
       "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
       "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"]
V31_SCORES = [9.8, 8.8, 6.1, 7.8, 5.9, 7.5]


def pool(size=5000):
    """Vendor/product pairs (fixed, independent of --seed)."""
    rng = random.Random(0)
    pairs = set()
    while len(pairs) < size:
        pairs.add((rng.choice(VENDORS), rng.choice(PREFIXES) + rng.choice(STEMS)))
    return sorted(pairs)


def severity(score):
    return "CRITICAL" if score >= 9 else "HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"


class Generator:
    def __init__(self, seed, year):
        self.rng = random.Random(seed)
        self.year = year
        self.pairs = pool()
        paths = sorted(TEMPLATES.glob("CVE-*.json"))
        if not paths:
            sys.exit(f"no NVD sample records in {TEMPLATES}")
        self.templates = [p.read_text(encoding="utf-8") for p in paths]

    def version(self):
        rng = self.rng
        return f"{rng.randint(0, 20)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}"

    def stamp(self):
        rng = self.rng
        return (f"{self.year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}")

    def text(self, vendor, product):
        rng = self.rng
        words = [f"{vendor.title()} {product.replace('_', ' ').title()}"]
        length = rng.randint(300, 600)
        while sum(len(w) + 1 for w in words) < length:
            words.append(rng.choice(WORDS))
        return " ".join(words)[:length].rstrip() + "."

    def match(self, part, vendor, product, vulnerable=True):
        rng = self.rng
        entry = {"vulnerable": vulnerable}
        if rng.random() < 0.4:
            entry["criteria"] = f"cpe:2.3:{part}:{vendor}:{product}:{self.version()}:*:*:*:*:*:*:*"
        else:
            entry["criteria"] = f"cpe:2.3:{part}:{vendor}:{product}:*:*:*:*:*:*:*:*"
            if rng.random() < 0.6:
                entry[rng.choice(["versionStartIncluding", "versionStartExcluding"])] = self.version()
            entry[rng.choice(["versionEndExcluding", "versionEndIncluding"])] = self.version()
        entry["matchCriteriaId"] = "%08X-%04X-%04X-%04X-%012X" % tuple(  # noqa: UP031 - the NVD layout
            rng.getrandbits(bits) for bits in (32, 16, 16, 16, 48))
        return entry

    def configurations(self, vendor, product):
        rng = self.rng
        result = []
        for _n in range(rng.choice([1, 1, 1, 2, 2, 3])):
            if rng.random() < 0.25:
                hardware = product.replace("_firmware", "")
                result.append({"operator": "AND", "nodes": [
                    {"operator": "OR", "negate": False,
                     "cpeMatch": [self.match("o", vendor, f"{hardware}_firmware") for _i in range(rng.randint(1, 4))]},
                    {"operator": "OR", "negate": False,
                     "cpeMatch": [self.match("h", vendor, hardware, vulnerable=False)]},
                ]})
            else:
                other_vendor, other_product = rng.choice(self.pairs) if rng.random() < 0.2 else (vendor, product)
                result.append({"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
                    self.match(rng.choice("aao"), other_vendor, other_product) for _i in range(rng.randint(1, 12))]}]})
        return result

    def metrics(self):
        rng = self.rng
        metrics = {}
        pick = rng.randrange(len(V31))
        v31 = []
        if rng.random() < 0.5:
            v31.append(self.cvss31("secalert@example.org", "Secondary", pick))
        if rng.random() < 0.85:
            v31.append(self.cvss31("nvd@nist.gov", "Primary", pick))
        if v31:
            metrics["cvssMetricV31"] = v31
        if rng.random() < 0.2:
            score = round(rng.uniform(4, 10), 1)
            metrics["cvssMetricV40"] = [{"source": "psirt@example.org", "type": "Secondary", "cvssData": {
                "version": "4.0", "baseScore": score, "baseSeverity": severity(score),
                "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}}]
        if rng.random() < 0.3:
            score = rng.choice([4.3, 5.0, 6.8, 7.5, 9.3, 10.0])
            metrics["cvssMetricV2"] = [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {
                "version": "2.0", "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "baseScore": score},
                "baseSeverity": severity(score) if score < 9 else "HIGH", "exploitabilityScore": 10.0,
                "impactScore": 6.4, "acInsufInfo": False}]
        return metrics

    @staticmethod
    def cvss31(source, kind, pick):
        score = V31_SCORES[pick]
        return {"source": source, "type": kind, "cvssData": {
            "version": "3.1", "vectorString": V31[pick], "baseScore": score, "baseSeverity": severity(score),
            "attackVector": "NETWORK", "attackComplexity": "LOW", "privilegesRequired": "NONE",
            "userInteraction": "NONE", "scope": "UNCHANGED", "confidentialityImpact": "HIGH",
            "integrityImpact": "HIGH", "availabilityImpact": "HIGH"},
            "exploitabilityScore": 3.9, "impactScore": 5.9}

    def record(self, number):
        rng = self.rng
        record = json.loads(rng.choice(self.templates))
        vendor, product = rng.choice(self.pairs)
        status = rng.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES])[0]
        published = self.stamp()
        description = self.text(vendor, product)
        record["id"] = f"CVE-{self.year}-{number:05d}"
        record["published"] = published
        record["lastModified"] = max(published, self.stamp())
        record["vulnStatus"] = status
        record["descriptions"] = [{"lang": "en", "value": description},
                                  {"lang": "es", "value": "Una vulnerabilidad en " + description[:300]}]
        record["metrics"] = {} if status == "Rejected" else self.metrics()
        record["weaknesses"] = [{"source": "nvd@nist.gov", "type": "Primary", "description": [
            {"lang": "en", "value": cwe} for cwe in rng.sample(CWES, rng.choice([1, 1, 1, 2]))]}]
        record["references"] = [{"url": f"https://{vendor}.example/security/advisory-{number}-{i}",
                                 "source": "psirt@example.org", "tags": rng.sample(
                                     ["Vendor Advisory", "Patch", "Third Party Advisory", "Exploit"], 2)}
                                for i in range(rng.randint(2, 40))]
        if status in ("Awaiting Analysis", "Undergoing Analysis", "Rejected"):
            record.pop("configurations", None)
        else:
            record["configurations"] = self.configurations(vendor, product)
        for key in [k for k in record if k.startswith("cisa")]:
            del record[key]
        if rng.random() < 0.03:
            record["cisaExploitAdd"] = f"{self.year}-06-01"
            record["cisaActionDue"] = f"{self.year}-06-22"
            record["cisaRequiredAction"] = "Apply mitigations per vendor instructions or discontinue use."
            record["cisaVulnerabilityName"] = f"{vendor.title()} {product} Vulnerability"
        return record


def write(path, records, seed, year):
    generator = Generator(seed, year)
    opener = gzip.open if path.name.endswith(".gz") else open
    path.parent.mkdir(parents=True, exist_ok=True)
    with opener(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"resultsPerPage": records, "startIndex": 0, "totalResults": records,
                              "format": "NVD_CVE", "version": "2.0",
                              "timestamp": f"{year + 1}-01-01T00:00:00.000"}, indent=2)[:-2])
        out.write(',\n  "vulnerabilities": [\n')
        for number in range(1, records + 1):
            if number > 1:
                out.write(",\n")
            out.write(json.dumps({"cve": generator.record(number)}, indent=2))
        out.write("\n  ]\n}\n")


def measure(kind, path):
    """Runs in a child process: read the feed, print figures as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
    import django

    django.setup()
    from lachan.vulns.advisories import iter_advisories, nvd

    wall, cpu = time.perf_counter(), time.process_time()
    count = matches = 0
    if kind == "stream":
        advisories = iter_advisories(path)
    else:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rb") as file:
            document = json.load(file)
        advisories = (nvd.advisory(item) for item in document["vulnerabilities"])
    for advisory in advisories:
        count += 1
        matches += sum(len(n.matches) for c in advisory.configurations for n in c.nodes)
    print(json.dumps({"records": count, "matches": matches, "wall": time.perf_counter() - wall,
                      "cpu": time.process_time() - cpu,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def report(kind, path, size):
    child = subprocess.run([sys.executable, __file__, "--measure", kind, str(path)], capture_output=True,
                           text=True, check=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    label = "iter_advisories (ijson, streamed)" if kind == "stream" else "naive json.load + same conversion"
    print(f"{label}: {figures['records']:,} records, {figures['matches']:,} CPE matches in {figures['wall']:.2f} s "
          f"wall / {figures['cpu']:.2f} s CPU = {figures['records'] / figures['wall']:,.0f} records/s, "
          f"{size / 1e6 / figures['wall']:.1f} MB/s; peak RSS {figures['maxrss_mb']:.0f} MB")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the feed to write (.json or .json.gz)")
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--time", action="store_true", help="time iter_advisories on the file")
    parser.add_argument("--naive", action="store_true", help="with --time: also json.load the whole file")
    parser.add_argument("--measure", choices=["stream", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.out)
        return
    started = time.perf_counter()
    write(args.out, args.records, args.seed, args.year)
    size = args.out.stat().st_size
    if args.out.name.endswith(".gz"):
        with gzip.open(args.out, "rb") as file:
            unpacked = sum(len(block) for block in iter(lambda: file.read(1 << 20), b""))
        print(f"wrote {args.out}: {args.records:,} records, {size / 1e6:.1f} MB gzip ({unpacked / 1e6:.1f} MB JSON) "
              f"in {time.perf_counter() - started:.1f} s")
        size = unpacked
    else:
        print(f"wrote {args.out}: {args.records:,} records, {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    if args.time:
        stream = report("stream", args.out, size)
        if args.naive:
            naive = report("naive", args.out, size)
            print(f"streamed vs naive: {stream['wall'] / naive['wall']:.2f}x the naive time, "
                  f"{stream['maxrss_mb']:.0f} MB vs {naive['maxrss_mb']:.0f} MB peak RSS")


if __name__ == "__main__":
    main()
