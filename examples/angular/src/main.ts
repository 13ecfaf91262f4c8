import { bootstrapApplication } from '@angular/platform-browser';

import { App } from './app/app';
import { appConfig } from './app/app.config';
import { exposeDriver } from './app/expose-driver';

const app = bootstrapApplication(App, appConfig);
// A no-op in production; the test build swaps in src/testing/expose-driver.ts.
exposeDriver(app);
app.catch((err: unknown) => console.error(err));
