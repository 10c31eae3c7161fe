import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, headless, with nothing reaching out to the network on its own (every page test uses this). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}
