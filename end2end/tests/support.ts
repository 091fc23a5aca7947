import { expect, Page } from "@playwright/test";
import * as OTPAuth from "otpauth";

/// A username no other test uses.
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/// The code an authenticator app shows, computed with the independent `otpauth` package.
/// `stepOffset` 1 is the code the phone shows next (a code is accepted only once, so a second
/// sign-in right after enrolment uses the next one, as a person would wait for it).
export function codeFor(secret: string, stepOffset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + stepOffset * 30_000 });
}

/// A code that is certainly not accepted now: one from ten steps ahead.
export function wrongCode(secret: string): string {
  return codeFor(secret, 10);
}

/// Waits until the WASM has hydrated the page (the app marks <body data-hydrated>).
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 30_000 });
}

/// Reads the setup key from the setup page, without its spaces.
export async function setupKey(page: Page): Promise<string> {
  return (await page.locator("#setup-key").innerText()).replace(/\s+/g, "");
}

/// Records Content-Security-Policy violations on every page the test opens; call
/// `expectNoCspViolations` at the end.
export async function watchCsp(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (window as any).__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as any).__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().includes("Content Security Policy")) {
      cspConsoleErrors.push(message.text());
    }
  });
}

export const cspConsoleErrors: string[] = [];

export async function expectNoCspViolations(page: Page): Promise<void> {
  const violations = await page.evaluate(() => (window as any).__cspViolations ?? []);
  expect(violations).toEqual([]);
  expect(cspConsoleErrors).toEqual([]);
}

/// Creates an account through the register form and lands on /account.
export async function registerWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/// Signs out from any signed-in page, then passes the password step on /login.
export async function signOutAndEnterPassword(page: Page, username: string, password: string): Promise<void> {
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/// Makes an account with two factors through the forms (register, setup, confirm), then signs
/// out; returns the setup key. The confirming code is the current step's: sign in with the next.
export async function registerWithTwoFactor(page: Page, username: string, password: string): Promise<string> {
  await registerWithForm(page, username, password);
  await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  await waitForHydration(page);
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  return secret;
}
