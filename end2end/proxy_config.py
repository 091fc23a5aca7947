#!/usr/bin/env python3
"""Prints the README's Caddy configuration ("<!-- tested: caddy -->") as the browser journey runs
it: the example hosts become *.example.test on the proxy's port, the service and the app get
their test addresses, and the admin endpoint is off. (server/tests/api/helpers/proxies.rs does
the same for the integration tests.)

Usage: proxy_config.py README.md PROXY_PORT SERVICE_ADDRESS APP_ADDRESS
"""
import sys

readme, port, service, app = sys.argv[1:5]
text = open(readme, encoding="utf-8").read()
marker = "<!-- tested: caddy -->"
if marker not in text:
    sys.exit(f"error: {readme} has no {marker}")
after = text[text.index(marker):]
block = after.split("```", 2)[1].split("\n", 1)[1]
site = (
    block.replace("127.0.0.1:3000", service)
    .replace("127.0.0.1:8080", app)
    .replace("auth.example.com {", f"http://auth.example.test:{port} {{")
    .replace("app.example.com {", f"http://app.example.test:{port} {{")
)
if "example.com" in site:
    sys.exit("error: a README host was left unreplaced")
print("{\n\tadmin off\n\tauto_https off\n}\n\n" + site)
