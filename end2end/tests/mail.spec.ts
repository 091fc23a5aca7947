import { test, expect, Page } from "@playwright/test";
import * as fs from "fs";
import * as path from "path";
import { codeFor, registerWithForm, setupKey, uniqueName, waitForHydration } from "./support";

// The server with mail on (end2end/run-tests.sh: MAIL_BASE_URL), in front of a real SMTP server
// (aiosmtpd) that writes every message it accepts to MAIL_DIR.
const mailBase = process.env.MAIL_BASE_URL ?? "http://127.0.0.1:3000";
const mailDir = process.env.MAIL_DIR ?? "";
test.use({ baseURL: mailBase });

const password = "correct horse battery";

/// The messages to `to` so far (envelope recipient on the first line of each file).
function messagesTo(to: string): { subject: string; body: string }[] {
  return fs
    .readdirSync(mailDir)
    .filter((name) => name.endsWith(".eml"))
    .sort()
    .map((name) => fs.readFileSync(path.join(mailDir, name), "utf8"))
    .filter((raw) => raw.split("\r\n")[0].toLowerCase() === `x-envelope-to: ${to.toLowerCase()}`)
    .map((raw) => {
      const [headers, ...rest] = raw.split("\r\n\r\n");
      const subject = /^Subject: (.*)$/im.exec(headers)?.[1] ?? "";
      return { subject, body: rest.join("\r\n\r\n") };
    });
}

/// Waits for a message to `to` with `subject`, and returns the link in it that contains `part`.
async function linkIn(to: string, subject: string, part: string): Promise<string> {
  let link = "";
  await expect
    .poll(
      () => {
        const found = messagesTo(to).filter((m) => m.subject === subject);
        const match = found.length ? new RegExp(`https?://\\S*${part}\\S*`).exec(found[found.length - 1].body) : null;
        link = match?.[0] ?? "";
        return link;
      },
      { timeout: 15_000 },
    )
    .not.toBe("");
  return link;
}

/// Sets the email on /account/profile and follows the link mailed to it.
async function verifyAddress(page: Page, email: string) {
  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Profile", exact: true }).click();
  await expect(page).toHaveURL(/\/account\/profile$/);
  await waitForHydration(page);
  await page.getByRole("textbox", { name: "Email", exact: true }).fill(email);
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Not verified", { exact: true })).toBeVisible();
  const link = await linkIn(email, "Confirm your email address", "/verify-email/");
  await page.goto(link);
  await expect(page).toHaveURL(/\/account\/profile$/);
  await expect(page.getByText("Verified", { exact: true })).toBeVisible();
}

test("an address verified by its link, then a forgotten password reset by mail, with the code", async ({ page }) => {
  const username = uniqueName("mail");
  const email = `${username}@example.test`;
  await registerWithForm(page, username, password);
  await waitForHydration(page);
  await verifyAddress(page, email);

  // Two-factor authentication on: the reset will ask for a code.
  await page.goto("/account/2fa/setup");
  await waitForHydration(page);
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  await expect.poll(() => messagesTo(email).map((m) => m.subject)).toContain("Two-factor authentication is on");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Forgot the password: the link in the page, then the form, all in the page.
  await waitForHydration(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await waitForHydration(page);
  await page.getByLabel("Username or email").fill(email.toUpperCase());
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(/If an account matches/)).toBeVisible();
  const link = await linkIn(email, "Reset your password", "/reset-password/");

  await page.goto(link);
  await waitForHydration(page);
  const newPassword = "a brand new passphrase";
  await page.getByLabel("New password").fill(newPassword);
  // The link alone changes nothing: a wrong code is refused in place.
  await page.getByLabel("6-digit code").fill(codeFor(secret, 10));
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await page.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText("Your password is changed")).toBeVisible();
  await expect.poll(() => messagesTo(email).map((m) => m.subject)).toContain("Your password was changed");

  // The new password signs in (with the next code); the link is spent.
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(newPassword);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This link cannot be used");
});

test("without JavaScript: the reset journey by plain form posts", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: mailBase, javaScriptEnabled: false });
  const page = await context.newPage();
  const username = uniqueName("nojs-mail");
  const email = `${username}@example.test`;
  await page.goto("/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.goto("/account/profile");
  await page.getByRole("textbox", { name: "Email", exact: true }).fill(email);
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Not verified", { exact: true })).toBeVisible();
  await page.goto(await linkIn(email, "Confirm your email address", "/verify-email/"));
  await expect(page.getByText("Verified", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Username or email").fill(username);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(/If an account matches/)).toBeVisible();
  await page.goto(await linkIn(email, "Reset your password", "/reset-password/"));
  await page.getByLabel("New password").fill("another fine passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("another fine passphrase");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await context.close();
});
