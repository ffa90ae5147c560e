/** What a browser test file shares: its page, opened before its tests and closed after them (chromium.ts). */
import { after, before } from 'node:test';
import { BrowserPage, browserTestSkip, chromiumStatus } from './chromium.js';

/** The page that imports `module` for this file's tests, and the `skip` option they take (browserTestSkip). */
export function browserPage(module: string): { skip: string | false; readonly page: BrowserPage } {
  let page: BrowserPage | undefined;
  before(async () => {
    const { path } = chromiumStatus();
    if (path !== undefined) page = await BrowserPage.open(path, module);
  });
  after(async () => {
    await page?.close();
  });
  return {
    skip: browserTestSkip(),
    get page(): BrowserPage {
      if (!page) throw new Error(`no page for ${module}: Chromium did not start`);
      return page;
    },
  };
}
