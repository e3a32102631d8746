"""Chalice entry points, one module per door (HTTP routes, streams, SES, SNS, schedules), with the HTTP helpers
and the console session beside them. Each handler parses, calls one service through ``bootstrap``, shapes the answer."""
