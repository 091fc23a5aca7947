import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { codeFor, registerWithForm, setupKey, signOutAndEnterPassword, uniqueName, waitForHydration } from "./support";

// WCAG 2.1 A and AA rules, on every page, signed out and signed in.
async function expectNoViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, what).toEqual([]);
}

test("every page has zero axe violations, signed out and signed in", async ({ page }) => {
  for (const path of ["/", "/login", "/register", "/no-such-page"]) {
    await page.goto(path);
    await waitForHydration(page);
    await expectNoViolations(page, path);
  }

  // An error shown in place.
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill("nobody-here");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expectNoViolations(page, "/login with an error");

  const username = uniqueName("axe");
  const password = "correct horse battery";
  await registerWithForm(page, username, password);
  await waitForHydration(page);
  await expectNoViolations(page, "/account, 2FA off");

  await page.goto("/account/2fa/setup");
  await waitForHydration(page);
  await expectNoViolations(page, "/account/2fa/setup");
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  await expectNoViolations(page, "recovery codes");

  await page.goto("/account");
  await waitForHydration(page);
  await expectNoViolations(page, "/account, 2FA on");

  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await waitForHydration(page);
  await expectNoViolations(page, "/login/2fa");
  await page.getByText("Use a recovery code").click();
  await expectNoViolations(page, "/login/2fa with the recovery form open");
});
