import { defineConfig } from '@playwright/test';

// End-to-end against the real stack, which e2e/global-setup.ts starts on free ports
// (fusion, image, audio, video and a gateway serving frontend/dist; plus a second
// gateway that requires API keys). Debian's chromium: Playwright never downloads one.
export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results/artifacts',
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 240_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.DD_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--autoplay-policy=no-user-gesture-required'],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
