# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Publish the DNS footprint of a KMS deployment four ways against one real named, and print a table.

Usage: .venv/bin/python benchmarks/kms_publish_footprint.py [--quick] [--hosts 20] [--domains 50] [--owner ID]

Starts its own named on loopback (tests/integration/named_server.py) with BIND's statistics
channel on, builds and installs the collection as a user does, and publishes HOSTS KMS hosts into
DOMAINS domains (one zone each): one SRV value per host in ``_vlmcs._tcp.<domain>`` and one A
record per host (the defaults: 1,000 SRV values in 50 RRsets plus 20 A records). Each way starts
from empty zones of its own:

  (a) kmsops.kms.kms_publish, one task;
  (b) community.general.nsupdate, one task per RRset with all its values and the zone given (the
      fewest messages that module can send);
  (c) kmsops.kms.dns_record, one task per RRset;
  (d) bare dnspython (benchmarks/floor_dnspython.py): one read per RRset and one UPDATE per changed
      zone over one TCP connection, zones known in advance: the floor of this design.

For each: the first converge and an unchanged re-run, with the wall time of ansible-playbook, the
time of the play's tasks (from the JSON callback), the time and peak memory of the module processes
(measured by benchmarks/measure_process.py as Ansible's interpreter), and the DNS messages named
received (its statistics channel, not our code). Then ratios, a scaling series, and 20 writers at
once on one RRset. Prints numbers only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from ansible_run import ansible_env, json_tasks, make_tree, tool  # noqa: E402 pylint: disable=wrong-import-position
from named_server import NamedServer  # noqa: E402 pylint: disable=wrong-import-position

KEY = "admin"
TTL = 3600
WRITERS = 20


class Workload:
    """HOSTS KMS hosts kms1..kmsN in the first domain, each published in every domain."""

    def __init__(self, domains, hosts):
        self.domains = domains
        self.hosts = hosts
        self.home = domains[0]

    def host(self, index):
        return f"kms{index + 1}.{self.home}."

    @staticmethod
    def address(index):
        return f"10.0.{index // 250}.{index % 250 + 1}"

    def srv_values(self):
        return [f"0 {10 * (index + 1)} 1688 {self.host(index)}" for index in range(self.hosts)]

    def rrsets(self):
        values = self.srv_values()
        sets = [
            {"zone": domain + ".", "name": f"_vlmcs._tcp.{domain}.", "type": "SRV", "ttl": TTL, "values": values}
            for domain in self.domains
        ]
        sets += [
            {
                "zone": self.home + ".",
                "name": self.host(index),
                "type": "A",
                "ttl": TTL,
                "values": [self.address(index)],
            }
            for index in range(self.hosts)
        ]
        return sets

    def floor(self, converge):
        """Messages the floor sends: one read per RRset, one UPDATE per changed zone."""
        return len(self.rrsets()) + (len(self.domains) if converge else 0)


class Bench:
    def __init__(self, named, collections, work):
        self.named = named
        self.collections = collections
        self.work = work
        algorithm, secret = named.keys[KEY]
        self.conn = {
            "server": named.address,
            "server_port": named.port,
            "key_name": KEY,
            "key_secret": secret,
            "key_algorithm": algorithm,
        }
        self.interpreter = os.path.join(work, "python-measured")
        with open(self.interpreter, "w", encoding="utf-8") as handle:
            handle.write(
                f'#!/bin/sh\nexec "{sys.executable}" "{os.path.join(HERE, "measure_process.py")}" '
                f'"{sys.executable}" "$@"\n'
            )
        os.chmod(self.interpreter, 0o755)
        self.runs = 0
        self.owner = None

    # -- the four ways -----------------------------------------------------------------------
    def kms_publish_tasks(self, load):
        hosts = [
            {
                "name": load.host(index),
                "addresses": [load.address(index)],
                "publish": [{"domain": domain, "priority": 0, "weight": 10 * (index + 1)} for domain in load.domains],
            }
            for index in range(load.hosts)
        ]
        args = dict(self.conn, hosts=hosts, ttl=TTL)
        if self.owner:
            args["owner"] = self.owner  # the owner registry: a TXT read beside each SRV RRset that exists
        return [{"name": "kms_publish", "kmsops.kms.kms_publish": args}]

    def nsupdate_tasks(self, load):
        return [
            {
                "name": f"nsupdate {item['name']}",
                "community.general.nsupdate": {
                    "server": self.conn["server"],
                    "port": self.conn["server_port"],
                    "key_name": KEY,
                    "key_secret": self.conn["key_secret"],
                    "key_algorithm": self.conn["key_algorithm"],
                    "protocol": "tcp",
                    "zone": item["zone"],
                    "record": item["name"],
                    "type": item["type"],
                    "ttl": item["ttl"],
                    "value": item["values"],
                },
            }
            for item in load.rrsets()
        ]

    def dns_record_tasks(self, load):
        return [
            {
                "name": f"dns_record {item['name']}",
                "kmsops.kms.dns_record": dict(
                    self.conn, name=item["name"], type=item["type"], ttl=item["ttl"], values=item["values"]
                ),
            }
            for item in load.rrsets()
        ]

    def play(self, tasks, inventory=None, forks=5):
        """Run TASKS in one play; return the measurements and the per-task, per-host results."""
        self.runs += 1
        base = os.path.join(self.work, f"run{self.runs}")
        playbook, log, inventory_file = base + ".yml", base + ".modules.jsonl", base + ".hosts"
        with open(playbook, "w", encoding="utf-8") as handle:
            json.dump(
                [{"name": "benchmark", "hosts": "all", "connection": "local", "gather_facts": False, "tasks": tasks}],
                handle,
            )
        with open(inventory_file, "w", encoding="utf-8") as handle:
            for host in inventory or ["localhost"]:
                handle.write(f"{host} ansible_connection=local\n")
        env = ansible_env(
            self.collections,
            extra={
                "ANSIBLE_PYTHON_INTERPRETER": self.interpreter,
                "KMSOPS_BENCH_LOG": log,
                "ANSIBLE_FORKS": str(forks),
            },
        )
        before = self.named.messages_received()
        start = time.perf_counter()
        proc = subprocess.run(
            [tool("ansible-playbook"), "-i", inventory_file, playbook],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        wall = time.perf_counter() - start
        messages = self.named.messages_received() - before
        try:
            results = json_tasks(proc.stdout)
        except ValueError:
            raise RuntimeError(
                "ansible-playbook printed no JSON:\n" + proc.stdout[-3000:] + proc.stderr[-3000:]
            ) from None
        modules = []
        if os.path.exists(log):
            with open(log, encoding="utf-8") as handle:
                modules = [json.loads(line) for line in handle]
        return {
            "wall": wall,
            "tasks": sum(_duration(task) for task in results),
            "module": sum(item["seconds"] for item in modules),
            "cpu": sum(item.get("cpu_seconds", 0.0) for item in modules),
            "rss_kb": max((item["max_rss_kb"] for item in modules), default=0),
            "messages": messages,
            "results": results,
            "rc": proc.returncode,
        }

    def converge(self, method, load):
        """First converge and unchanged re-run of METHOD on LOAD: two measurement dicts."""
        if method == "floor":
            return self.floor(load), self.floor(load)
        tasks = getattr(self, f"{method}_tasks")(load)
        first = self.play(tasks)
        again = self.play(tasks)
        for name, run in (("converge", first), ("re-run", again)):
            failed = [
                host.get("msg") for task in run["results"] for host in task["hosts"].values() if host.get("failed")
            ]
            if failed or run["rc"]:
                raise RuntimeError(f"{method} {name} failed (rc {run['rc']}): {failed[:3]}")
        changed = [any(host.get("changed") for host in task["hosts"].values()) for task in again["results"]]
        again["changed_on_rerun"] = sum(changed)
        return first, again

    def floor(self, load):
        path = os.path.join(self.work, f"floor{self.runs}.json")
        self.runs += 1
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "server": self.conn["server"],
                    "port": self.conn["server_port"],
                    "key_name": KEY,
                    "key_secret": self.conn["key_secret"],
                    "key_algorithm": self.conn["key_algorithm"],
                    "rrsets": load.rrsets(),
                },
                handle,
            )
        log = path + ".jsonl"
        before = self.named.messages_received()
        start = time.perf_counter()
        proc = subprocess.run(
            [self.interpreter, os.path.join(HERE, "floor_dnspython.py"), path],
            env=dict(os.environ, KMSOPS_BENCH_LOG=log),
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
        wall = time.perf_counter() - start
        messages = self.named.messages_received() - before
        with open(log, encoding="utf-8") as handle:
            measured = json.loads(handle.readline())
        return {
            "wall": wall,
            "tasks": None,
            "module": measured["seconds"],
            "cpu": measured.get("cpu_seconds", 0.0),
            "rss_kb": measured["max_rss_kb"],
            "messages": messages,
            "inner": json.loads(proc.stdout),
        }

    # -- 20 writers on one RRset -------------------------------------------------------------
    def writers(self, module, site):
        owner = f"_vlmcs._tcp.{site}."
        names = [f"w{index:02d}" for index in range(1, WRITERS + 1)]
        value = "0 0 1688 {{ inventory_hostname }}." + site + "."
        if module == "nsupdate":
            task = {
                "community.general.nsupdate": {
                    "server": self.conn["server"],
                    "port": self.conn["server_port"],
                    "key_name": KEY,
                    "key_secret": self.conn["key_secret"],
                    "key_algorithm": self.conn["key_algorithm"],
                    "protocol": "tcp",
                    "zone": site + ".",
                    "record": owner,
                    "type": "SRV",
                    "ttl": TTL,
                    "value": [value],
                }
            }
        else:
            task = {"kmsops.kms.dns_record": dict(self.conn, name=owner, type="SRV", ttl=TTL, values=[value])}
        run = self.play([dict(task, name="one writer")], inventory=names, forks=WRITERS)
        hosts = run["results"][0]["hosts"]
        succeeded = sum(1 for name in names if name in hosts and not hosts[name].get("failed"))
        present = self.named.dig(owner, "SRV")
        return {"succeeded": succeeded, "present": len(present), "lost": WRITERS - len(present), "wall": run["wall"]}


def wait_for_zones(named, seconds=600):
    """Wait until named serves its last zone (thousands of zones load after the first answers)."""
    last = named.zone_names()[-1]
    deadline = time.time() + seconds
    while named.serial(last) is None:
        if time.time() > deadline:
            raise RuntimeError(f"named did not load {last} within {seconds} s")
        time.sleep(0.5)


def median_runs(runs):
    """The run (converge, re-run) whose converge module time is the median of RUNS."""
    ordered = sorted(runs, key=lambda pair: pair[0]["module"])
    return ordered[len(ordered) // 2]


def median_figures(runs):
    """(converge, re-run) of RUNS [(converge, re-run)]: each figure the median over the runs."""

    def median(values):
        return sorted(values)[len(values) // 2]

    result = []
    for index in (0, 1):
        phase = [run[index] for run in runs]
        result.append(
            {
                "module": median([item["module"] for item in phase]),
                "cpu": median([item["cpu"] for item in phase]),
                "rss_kb": median([item["rss_kb"] for item in phase]),
                "messages": median([item["messages"] for item in phase]),
            }
        )
    return tuple(result)


def _duration(task):
    duration = task.get("duration") or {}
    if not duration.get("start") or not duration.get("end"):
        return 0.0
    start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def _seconds(value):
    return "-" if value is None else f"{value:.2f}"


def _ratio(numerator, denominator):
    if not numerator or not denominator:
        return "-"
    return f"{numerator / denominator:.2f}x"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20, help="KMS hosts (default 20)")
    parser.add_argument("--domains", type=int, default=50, help="publish domains, one zone each (default 50)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of (a) and (d) in the comparison, each on fresh zones; the median is shown "
        "(default 3; (b) and (c) run once: each is already the sum of many tasks)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small run: 5 hosts x 10 domains, a short scaling series"
    )
    parser.add_argument("--owner", help="run (a) with this kms_publish owner (the TXT owner registry)")
    parser.add_argument(
        "--scaling-only",
        action="store_true",
        help="only the scaling series of (a) against (d): no (b), (c) or concurrent writers",
    )
    parser.add_argument(
        "--scaling-repeat",
        type=int,
        default=1,
        help="runs of (a) and (d) at each point of the scaling series, in turn (a d a d ...), "
        "each on fresh zones; the median of each figure is shown (default 1)",
    )
    args = parser.parse_args()
    if args.quick:
        hosts, domains = 5, 10
        domain_series, host_series = [5, 10, 20], [1, 5]
    else:
        hosts, domains = args.hosts, args.domains
        domain_series, host_series = [10, 50, 200, 500, 2000], [1, 20, 50]
    if not 1 <= hosts <= 1000 or domains < 1:
        parser.error("--hosts must be 1..1000 and --domains at least 1")
    # every way and every point of a series gets zones nobody touched before
    series = [(count, hosts) for count in domain_series] + [(domains, count) for count in host_series]
    series = [point for index, point in enumerate(series) if point not in series[:index]]
    repeat = max(1, args.repeat)
    scaling_repeat = max(1, args.scaling_repeat)
    if args.scaling_only:
        main_zones, others = 0, [count for count, _host_count in series]
    else:
        main_zones = (2 + 2 * repeat) * domains
        others = [count for count, host_count in series if (count, host_count) != (domains, hosts)]
    # each site is two zones (siteNN.example and its child branch.siteNN.example): both are used
    sites = (main_zones + 2 * scaling_repeat * sum(others)) // 2 + len(series) * (2 + 2 * scaling_repeat) + 4

    work = tempfile.mkdtemp(prefix="kmsops-bench-")
    named = NamedServer(sites=sites, statistics=True, startup_seconds=600).start()
    try:
        wait_for_zones(named)
        collections = make_tree(os.path.join(work, "collections"), "install")
        bench = Bench(named, collections, work)
        bench.owner = args.owner

        def load_of(domain_count, host_count):
            domains = []
            while len(domains) < domain_count:
                site = named.allocate_site()
                domains += [site, f"branch.{site}"]
            return Workload(domains[:domain_count], host_count)

        version = subprocess.run(["named", "-v"], capture_output=True, text=True, check=False).stdout.strip()
        print(
            f"kmsops.kms DNS benchmark: {hosts} KMS hosts x {domains} domains = {hosts * domains} SRV values "
            f"in {domains} RRsets + {hosts} A records"
        )
        print(
            f"server: {version} on 127.0.0.1 port {named.port}, TCP, TSIG hmac-sha256; "
            f"messages counted by named's statistics channel"
        )
        if args.scaling_only:
            print(
                f"scaling series only: (a) and (d) the median of {scaling_repeat} runs at each point, each on "
                f"fresh zones; load average at start {os.getloadavg()[0]:.1f}"
            )
        else:
            print(
                f"(a) and (d): the median of {repeat} runs, each on fresh zones; (b) and (c): one run; "
                f"scaling series: the median of {scaling_repeat}; load average at start {os.getloadavg()[0]:.1f}"
            )
        print(
            f"machine: {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, {platform.platform()}"
        )
        print()

        ours = bare = None
        if not args.scaling_only:
            main_results = {}
            labels = {
                "kms_publish": "(a) kmsops.kms.kms_publish, 1 task",
                "nsupdate": f"(b) community.general.nsupdate, {hosts + domains} tasks",
                "dns_record": f"(c) kmsops.kms.dns_record, {hosts + domains} tasks",
                "floor": "(d) bare dnspython floor, 1 process",
            }
            for method in labels:
                runs = repeat if method in ("kms_publish", "floor") else 1
                main_results[method] = median_runs(
                    [bench.converge(method, load_of(domains, hosts)) for _run in range(runs)]
                )
            reference = Workload(["x"] * domains, hosts)

            header = (
                f"{'':44}{'play s':>8}{'tasks s':>9}{'module s':>10}{'msgs':>7}{'floor':>7}{'peak MB':>9}{'changed':>9}"
            )
            for phase, index, converge in (("first converge", 0, True), ("unchanged re-run", 1, False)):
                print(f"{phase}:")
                print(header)
                for method, label in labels.items():
                    run = main_results[method][index]
                    changed = run.get("changed_on_rerun", "-") if index else ""
                    print(
                        f"{label:44}{_seconds(run['wall'] if method != 'floor' else None):>8}"
                        f"{_seconds(run['tasks']):>9}{_seconds(run['module']):>10}{run['messages']:>7}"
                        f"{reference.floor(converge):>7}{run['rss_kb'] / 1024:>9.1f}{changed!s:>9}"
                    )
                print()

            ours, peer, bare = main_results["kms_publish"], main_results["nsupdate"], main_results["floor"]
            record = main_results["dns_record"]
            print("ratios (a) against (b) community.general.nsupdate, (c) dns_record, and (d) the floor:")
            for phase, index in (("first converge", 0), ("unchanged re-run", 1)):
                print(
                    f"  {phase:17} (b)/(a): tasks {_ratio(peer[index]['tasks'], ours[index]['tasks'])}, "
                    f"whole playbook {_ratio(peer[index]['wall'], ours[index]['wall'])}, "
                    f"messages {_ratio(peer[index]['messages'], ours[index]['messages'])}; "
                    f"(c)/(a): tasks {_ratio(record[index]['tasks'], ours[index]['tasks'])}; "
                    f"(a)/(d): module time {_ratio(ours[index]['module'], bare[index]['module'])}, "
                    f"messages {_ratio(ours[index]['messages'], bare[index]['messages'])}"
                )
            print()

        print(
            "scaling of (a) kms_publish against (d) the floor (fresh zones for each point; peak MB: the larger "
            "of converge and re-run; (a)/(d): module time over the floor's, then their CPU time, user + system, "
            "which a busy machine stretches less):"
        )
        print(
            f"{'hosts':>6}{'domains':>8}{'rrsets':>7}{'values':>7} | {'(a) module s':>12}{'re-run s':>9}"
            f"{'msgs':>6}{'re-run':>7}{'peak MB':>8} | {'(d) s':>6}{'re-run s':>9}{'msgs':>6}{'re-run':>7}"
            f"{'peak MB':>8} | {'(a)/(d)':>7}{'re-run':>7} | {'cpu':>6}{'re-run':>7}"
        )
        for domain_count, host_count in sorted(series, key=lambda point: (point[1], point[0])):
            if (domain_count, host_count) == (domains, hosts) and ours is not None and scaling_repeat == 1:
                points = (ours, bare)
            else:
                runs = [
                    (
                        bench.converge("kms_publish", load_of(domain_count, host_count)),
                        bench.converge("floor", load_of(domain_count, host_count)),
                    )
                    for _run in range(scaling_repeat)
                ]
                points = (median_figures([run[0] for run in runs]), median_figures([run[1] for run in runs]))
            (first, again), (floor_first, floor_again) = points
            peak = max(first["rss_kb"], again["rss_kb"]) / 1024
            floor_peak = max(floor_first["rss_kb"], floor_again["rss_kb"]) / 1024
            print(
                f"{host_count:>6}{domain_count:>8}{domain_count + host_count:>7}"
                f"{domain_count * host_count + host_count:>7} | {first['module']:>12.2f}{again['module']:>9.2f}"
                f"{first['messages']:>6}{again['messages']:>7}{peak:>8.1f} | "
                f"{floor_first['module']:>6.2f}{floor_again['module']:>9.2f}{floor_first['messages']:>6}"
                f"{floor_again['messages']:>7}{floor_peak:>8.1f} | "
                f"{_ratio(first['module'], floor_first['module']):>7}"
                f"{_ratio(again['module'], floor_again['module']):>7} | "
                f"{_ratio(first['cpu'], floor_first['cpu']):>6}{_ratio(again['cpu'], floor_again['cpu']):>7}"
            )
        print()

        if not args.scaling_only:
            print(f"{WRITERS} writers at once, each adding its own value to one SRV RRset (forks={WRITERS}):")
            print(f"{'':40}{'reported ok':>12}{'values kept':>12}{'lost':>6}")
            for module, label in (("nsupdate", "community.general.nsupdate"), ("dns_record", "kmsops.kms.dns_record")):
                outcome = bench.writers(module, named.allocate_site())
                print(f"{label:40}{outcome['succeeded']:>12}{outcome['present']:>12}{outcome['lost']:>6}")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    finally:
        named.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
