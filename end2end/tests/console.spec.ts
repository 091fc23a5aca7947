import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { codeFor, setupKey, uniqueName, waitForHydration } from "./support";

// An administrator's journey through the console (docs/contract/console.md): the administrator is
// made by the operator's command in run-tests.sh (`server user add`, then `server user set
// --groups admins`); they turn on two-factor authentication, invite someone, the invited person
// makes an account with the link, is disabled, and then loses every way in.
const adminName = process.env.CONSOLE_ADMIN ?? "";
const adminPassword = process.env.CONSOLE_ADMIN_PASSWORD ?? "";
const relyingParty = process.env.RELYING_PARTY_URL ?? "";

async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

test("an administrator invites someone, who registers, is disabled and loses every way in", async ({ browser }) => {
  test.skip(!adminName, "run through end2end/run-tests.sh, which makes the administrator");
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();

  // Before two factors, the console does not exist for them either.
  await admin.goto("/login");
  await waitForHydration(admin);
  await admin.getByLabel("Username").fill(adminName);
  await admin.getByLabel("Password").fill(adminPassword);
  await admin.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(admin).toHaveURL(/\/account$/);
  const hidden = await admin.goto("/admin");
  expect(hidden?.status()).toBe(404);
  await admin.goto("/account/2fa/setup");
  await waitForHydration(admin);
  const secret = await setupKey(admin);
  await admin.getByLabel("6-digit code").fill(codeFor(secret));
  await admin.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(admin.locator("#recovery-code-list li")).toHaveCount(10);

  // The console, by the contract's labels.
  await admin.goto("/admin");
  await waitForHydration(admin);
  for (const heading of ["People", "Invitations", "Apps", "Access rules"]) {
    await expect(admin.getByRole("heading", { name: heading, exact: true })).toBeVisible();
  }
  await expectNoAxeViolations(admin);

  // An invitation, shown once.
  // By the contract's label alone: the only field of the page named exactly "Groups".
  await admin.getByLabel("Groups", { exact: true }).fill("family");
  await admin.getByLabel("Valid for (days)").fill("3");
  await admin.getByRole("button", { name: "Create an invitation" }).click();
  const notice = admin.locator(".notice", { hasText: "/invite/" });
  await expect(notice).toBeVisible();
  const link = ((await notice.innerText()).match(/https?:\/\/\S+\/invite\/[0-9a-f]+/) ?? [""])[0];
  expect(link).not.toBe("");

  // The invited person makes an account with it (in a browser of their own).
  const guestContext = await browser.newContext();
  const guest = await guestContext.newPage();
  const guestName = uniqueName("invited");
  const guestPassword = "correct horse battery";
  await guest.goto(link);
  await waitForHydration(guest);
  await expectNoAxeViolations(guest);
  await guest.getByLabel("Username").fill(guestName);
  await guest.getByLabel("Password").fill(guestPassword);
  await guest.getByRole("button", { name: "Create account" }).click();
  await expect(guest).toHaveURL(/\/account$/);
  // The link is spent.
  const spent = await guestContext.newPage();
  const again = await spent.goto(link);
  expect(again?.status()).toBe(410);

  // The administrator finds them and disables them.
  await admin.goto("/admin");
  await waitForHydration(admin);
  await admin.getByLabel("Search people").fill(guestName);
  await admin.getByRole("button", { name: "Search" }).click();
  await admin.getByRole("link", { name: guestName }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/people/${guestName}$`));
  await waitForHydration(admin);
  await expect(admin.locator("#person-groups-now")).toHaveText("family");
  await expectNoAxeViolations(admin);
  await admin.getByRole("button", { name: "Disable" }).click();
  await expect(admin.locator("#person-status")).toHaveText("Disabled");

  // Every way in is gone: the session, the gate, a new sign-in, an OpenID Connect app.
  await guest.goto("/account");
  await expect(guest).toHaveURL(/\/login$/);
  const gate = await guest.request.get("/api/authz/forward-auth", {
    headers: {
      "x-forwarded-proto": "https",
      "x-forwarded-host": "app.example.com",
      "x-forwarded-uri": "/",
      "x-forwarded-method": "GET",
      accept: "application/json",
    },
  });
  expect(gate.status()).toBe(401);
  await waitForHydration(guest);
  await guest.getByLabel("Username").fill(guestName);
  await guest.getByLabel("Password").fill(guestPassword);
  await guest.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(guest.getByText("Wrong username or password.")).toBeVisible();
  if (relyingParty) {
    await guest.goto(relyingParty);
    await guest.getByRole("link", { name: "Sign in with Two-factor sign-in" }).click();
    await expect(guest).toHaveURL(/\/login\?rd=/);
    await waitForHydration(guest);
    await guest.getByLabel("Username").fill(guestName);
    await guest.getByLabel("Password").fill(guestPassword);
    await guest.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(guest.getByText("Wrong username or password.")).toBeVisible();
    await expect(guest).not.toHaveURL(new RegExp(`^${relyingParty}/callback`));
  }

  // At 360 px the console still fits: nothing wider than the screen.
  await admin.setViewportSize({ width: 360, height: 740 });
  await admin.goto("/admin");
  const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await adminContext.close();
  await guestContext.close();
});
