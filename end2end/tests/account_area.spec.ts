import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { registerWithForm, uniqueName, waitForHydration } from "./support";

const password = "correct horse battery";

async function expectNoAxeViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, what).toEqual([]);
}

/// Nothing wider than the window: no sideways scrolling on a 360 px phone.
async function expectNoSidewaysScroll(page: Page, what: string) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, what).toBeLessThanOrEqual(360);
}

test("the account area's four pages, walked by its navigation at 360 px; another session ended from here", async ({
  page,
  browser,
}) => {
  await page.setViewportSize({ width: 360, height: 740 });
  const username = uniqueName("area");
  await registerWithForm(page, username, password);
  await waitForHydration(page);

  // A second browser signed in to the same account.
  const other = await browser.newContext({ baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000" });
  const elsewhere = await other.newPage();
  await elsewhere.goto("/login");
  await waitForHydration(elsewhere);
  await elsewhere.getByLabel("Username").fill(username);
  await elsewhere.getByLabel("Password").fill(password);
  await elsewhere.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(elsewhere).toHaveURL(/\/account$/);

  const nav = page.getByRole("navigation", { name: "Account" });
  const pages = [
    { link: "Security", url: /\/account$/, heading: "Your account" },
    { link: "Sessions", url: /\/account\/sessions$/, heading: "Sessions" },
    { link: "Apps", url: /\/account\/apps$/, heading: "Apps" },
    { link: "Profile", url: /\/account\/profile$/, heading: "Profile" },
  ];
  for (const { link, url, heading } of [...pages.slice(1), pages[0]]) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await expect(page).toHaveURL(url);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expect(nav.getByRole("link", { name: link, exact: true })).toHaveAttribute("aria-current", "page");
    await expect(nav.locator("[aria-current]")).toHaveCount(1);
    await waitForHydration(page);
    await expectNoAxeViolations(page, link);
    await expectNoSidewaysScroll(page, link);
  }

  // Profile: the email field is styled as the other fields are.
  await nav.getByRole("link", { name: "Profile", exact: true }).click();
  await expect(page).toHaveURL(/\/account\/profile$/);
  const email = page.getByRole("textbox", { name: "Email", exact: true });
  const name = page.getByRole("textbox", { name: "Display name", exact: true });
  await expect(email).toHaveCSS("border-radius", await name.evaluate((n) => getComputedStyle(n).borderRadius));
  await expect(email).toHaveCSS("width", await name.evaluate((n) => getComputedStyle(n).width));
  await name.fill("Area Tester");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("status")).toContainText("Your profile is saved.");
  await expect(page).toHaveURL(/\/account\/profile$/);

  // Apps: none yet; app passwords: none yet.
  await nav.getByRole("link", { name: "Apps", exact: true }).click();
  await expect(page.getByRole("region", { name: "Apps you use" })).toContainText("No app holds access");
  await expect(page.getByRole("region", { name: "App passwords" })).toContainText("None yet.");
  // An app password: made in the page, shown once, listed, revoked.
  await waitForHydration(page);
  const appPasswords = page.getByRole("region", { name: "App passwords" });
  await appPasswords.getByRole("textbox", { name: "Name", exact: true }).fill("Phone sync");
  await appPasswords.getByRole("button", { name: "Create an app password" }).click();
  await expect(page.getByRole("status")).toContainText(/ap_[0-9a-z]{32}/);
  await expect(appPasswords.getByRole("listitem")).toContainText("Phone sync");
  await appPasswords.getByRole("button", { name: "Revoke Phone sync" }).click();
  await expect(page.getByRole("status")).toContainText("The app password is revoked");
  await expect(appPasswords).toContainText("None yet.");

  // Sessions: this one and the other browser's; "End" signs the other out.
  await nav.getByRole("link", { name: "Sessions", exact: true }).click();
  const sessions = page.getByRole("region", { name: "Your sessions" });
  await expect(sessions.getByRole("listitem")).toHaveCount(2);
  await expect(sessions.getByRole("listitem").first()).toContainText("This session");
  await expect(sessions.getByRole("listitem").first()).toContainText(/Chrome on \w+/);
  await expect(page.getByRole("region", { name: "Remembered devices" })).toContainText("None yet.");
  await waitForHydration(page);
  await sessions.getByRole("button", { name: /^End the session of/ }).click();
  await expect(page.getByRole("status")).toContainText("That session is signed out.");
  await expect(sessions.getByRole("listitem")).toHaveCount(1);
  await expect(page.locator("#security-log")).toContainText("Signed out of another session");
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/login$/);
  await other.close();
});
