import { api } from "./api.js";
import { PeopleDirectory } from "./people.js";
import { Router } from "./router.svelte.js";
import { Session } from "./session.svelte.js";
import { Theme } from "./theme.svelte.js";

/** The dashboard's routes; `nav` entries appear in the header for the roles listed. */
export const ROUTES = [
  { name: "overview", pattern: "/" },
  { name: "login", pattern: "/login" },
  { name: "runs", pattern: "/runs" },
  { name: "run", pattern: "/runs/:id" },
  { name: "queue", pattern: "/review" },
  { name: "review", pattern: "/review/:id" },
  { name: "audit", pattern: "/audit" },
  { name: "calibration", pattern: "/calibration" },
  { name: "thresholds", pattern: "/thresholds" },
  { name: "escalations", pattern: "/escalations" },
  { name: "drift", pattern: "/drift" },
  { name: "golden", pattern: "/golden" },
  { name: "golden-result", pattern: "/golden/:id" },
  { name: "exports", pattern: "/exports" },
] as const;
export type RouteName = (typeof ROUTES)[number]["name"];

// Created once, in the browser, when main.ts imports the app.
export const router = new Router<RouteName>(ROUTES);
export const session = new Session();
export const theme = new Theme();
/** Emails for the user ids the pages show. */
export const people = new PeopleDirectory(async (ids) => (await api.people(ids)).items);
