"""Benchmarks of issue 9 (`make bench` = `python -m bench`): each result is a ratio against a baseline measured in
the same run and process, written to docs/BENCHMARKS.md.

- B1 webhook answer latency p50/p99 (Meta Lead Ads batch, WhatsApp batch, one WhatsApp message, web form) vs a
  bare Chalice route doing one ``put_item`` (``bench.base``);
- B2 sustained webhook throughput (sequential requests/s), same baseline;
- B3 monthly report: items read / items of the month with 12 months of data, and time vs a full Scan;
- B4 cold import of the handler module vs ``import boto3`` alone;
- B5 stream reactions: records/s through ``on_solicitud_change`` vs a no-op handler over the same events.

Never imported by the app, never packaged (``tests/infra`` checks the zip holds no ``bench`` module).
"""
