import type { ApplicationRef } from '@angular/core';

// Production builds expose nothing. The `harness` and `development` configurations of
// angular.json replace this file with src/testing/expose-driver.ts (the driver contract).
export function exposeDriver(_app: Promise<ApplicationRef>): void {}
