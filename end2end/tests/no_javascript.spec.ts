import { test, expect } from "@playwright/test";
import { codeFor, setupKey, uniqueName, wrongCode } from "./support";

// Every form is a plain HTML form that posts and is redirected back (303) with its message.
test.use({ javaScriptEnabled: false });

test("the whole journey works with JavaScript disabled", async ({ page }) => {
  const username = uniqueName("nojs");
  const password = "correct horse battery";

  await page.goto("/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText("Your account is ready")).toBeVisible();

  await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(wrongCode(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page).toHaveURL(/\/account\/2fa\/setup$/);
  await expect(page.getByRole("alert")).toContainText("That code is not right");
  expect(await setupKey(page)).toBe(secret);

  await page.getByLabel("6-digit code").fill(codeFor(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  await expect(page.locator("#two-factor-status")).toContainText("on");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText("You are signed out.")).toBeVisible();

  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("wrong password!");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");

  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await page.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#account-username")).toHaveText(username);
});
