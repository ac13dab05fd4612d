#!/usr/bin/python3
"""Checks routerctl metrics against routerctl -j stats, for t_operator.sh.

  metrics_check.py METRICS_FILE STATS_JSON_FILE STATUS_JSON_FILE

The metrics text must parse with prometheus_client's own parser, follow
the naming rules (routerd_ prefix; counters end in _total, gauges do not),
and carry exactly the numbers of `-j stats` taken at the same moment: every
counter, pass and drop reason and byte counter of every interface, and the
daemon's resyncs. Prints one line per problem and "checked N values";
exits 1 on any problem.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

problems = []
checked = 0


def expect(what, got, want):
    global checked
    checked += 1
    if got != want:
        problems.append(f"{what}: metrics say {got}, -j stats says {want}")


def main():
    text = open(sys.argv[1]).read()
    stats = json.load(open(sys.argv[2]))
    status = json.load(open(sys.argv[3]))
    samples = {}  # (name, frozenset(labels)) -> value
    for fam in text_string_to_metric_families(text):
        if not fam.name.startswith("routerd_"):
            problems.append(f"family {fam.name}: no routerd_ prefix")
        for s in fam.samples:
            if fam.type == "counter" and not s.name.endswith("_total"):
                problems.append(f"counter sample {s.name} does not end in _total")
            if fam.type == "gauge" and s.name.endswith("_total"):
                problems.append(f"gauge {s.name} ends in _total")
            key = (s.name, frozenset(s.labels.items()))
            if key in samples:
                problems.append(f"sample {s.name}{s.labels} twice")
            samples[key] = s.value

    def get(name, **labels):
        return samples.get((name, frozenset(labels.items())))

    for ifc in stats["interfaces"]:
        n, c = ifc["name"], ifc["counters"]
        m = lambda name, **kw: get(name, interface=n, **kw)  # noqa: E731
        expect(f"{n} rx_packets", m("routerd_rx_packets_total"), c["rx_packets"])
        expect(f"{n} rx_bytes", m("routerd_rx_bytes_total"), c["rx_bytes"])
        expect(f"{n} forwarded_ipv4", m("routerd_forwarded_packets_total", family="ipv4"),
               c["forwarded_ipv4"])
        expect(f"{n} forwarded_ipv6", m("routerd_forwarded_packets_total", family="ipv6"),
               c["forwarded_ipv6"])
        expect(f"{n} forwarded_bytes", m("routerd_forwarded_bytes_total"), c["forwarded_bytes"])
        expect(f"{n} bridged", m("routerd_bridged_packets_total"), c["bridged"])
        expect(f"{n} bridged_bytes", m("routerd_bridged_bytes_total"), c["bridged_bytes"])
        expect(f"{n} passed_bytes", m("routerd_passed_bytes_total"), c["passed_bytes"])
        expect(f"{n} dropped_bytes", m("routerd_dropped_bytes_total"), c["dropped_bytes"])
        for kind, key, total in (("passed", "pass_reasons", "passed"),
                                 ("dropped", "drop_reasons", "dropped")):
            got_sum = 0
            for reason, want in ifc[key].items():
                got = m(f"routerd_{kind}_packets_total", reason=reason)
                expect(f"{n} {kind} reason {reason}", got, want)
                got_sum += got or 0
            expect(f"{n} {total} (sum over reasons)", got_sum, c[total])
            listed = {dict(lbl)["reason"] for (name, lbl) in samples
                      if name == f"routerd_{kind}_packets_total" and dict(lbl)["interface"] == n}
            expect(f"{n} {kind} reasons listed", sorted(listed), sorted(ifc[key]))
        for ev in ("fixup_ipv4_in_ipv6", "fixup_ipv6_in_ipv4", "fixup_mss_clamp",
                   "route_cache_miss"):
            expect(f"{n} event {ev}", m("routerd_events_total", event=ev), c[ev])
        expect(f"{n} attached", m("routerd_interface_attached", mode=ifc["mode"]), 1)
    expect("netlink resyncs", get("routerd_netlink_resyncs_total"),
           status["netlink"]["resyncs"])
    expect("reloads", get("routerd_reloads_total"), status["reloads"])
    for name in ("routerd_netlink_events_total", "routerd_freshness_rounds_total",
                 "routerd_resident_memory_bytes", "routerd_uptime_seconds",
                 "routerd_route_cache_invalidations_total"):
        if get(name) is None:
            problems.append(f"{name} missing")
    rss = get("routerd_resident_memory_bytes") or 0
    if not 1 << 20 < rss < 1 << 34:
        problems.append(f"resident memory {rss} bytes is implausible")
    for p in problems:
        print(p)
    print(f"checked {checked} values, {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


main()
