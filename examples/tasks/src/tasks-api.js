// The task board's resources. The list and the creation share one path: GET answers the
// user's tasks as a bare JSON array, POST {title} adds one and answers it.

import { ENDPOINTS } from "./config.js";

export class TasksApi {
  #http;

  constructor(http) {
    this.#http = http;
  }

  async list() {
    const { data } = await this.#http.request({ method: "GET", url: ENDPOINTS.tasks });
    return Array.isArray(data) ? data : [];
  }

  async create(title) {
    const { data } = await this.#http.request({ method: "POST", url: ENDPOINTS.tasks, data: { title } });
    return data;
  }

  async me() {
    return (await this.#http.request({ url: ENDPOINTS.me })).data;
  }

  async adminStats() {
    return (await this.#http.request({ url: ENDPOINTS.adminStats })).data;
  }
}
