// Home: what the app demonstrates, open to everyone.

import { fromTemplate } from "./dom.js";

export function homeView() {
  return {
    mount(outlet) {
      outlet.append(fromTemplate("view-home"));
    },
  };
}
