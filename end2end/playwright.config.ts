import { defineConfig, devices } from "@playwright/test";

// The server is started by ./run-tests.sh (fresh database, free port) and its address passed
// in BASE_URL. Chromium is Debian's (/usr/bin/chromium): no browser is ever downloaded.
const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
            // The forward-auth journey's sites (tests/forward_auth.spec.ts), all on loopback.
            "--host-resolver-rules=MAP *.example.test 127.0.0.1",
          ],
        },
      },
    },
  ],
});
