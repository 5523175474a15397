export type ThemeChoice = "system" | "light" | "dark";
const KEY = "seamtrace.theme";

/**
 * Light and dark: follows prefers-color-scheme until the user picks one. The choice is an
 * attribute on <html> (app.css keys off it), not an inline style, which the CSP forbids.
 */
export class Theme {
  choice = $state<ThemeChoice>(read());

  constructor() {
    this.apply();
  }

  cycle(): void {
    this.choice = this.choice === "system" ? "light" : this.choice === "light" ? "dark" : "system";
    try {
      localStorage.setItem(KEY, this.choice);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    this.apply();
  }

  private apply(): void {
    if (this.choice === "system") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", this.choice);
  }
}

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}
