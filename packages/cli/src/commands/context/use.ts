import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { configPath, loadContexts, saveContexts } from "../../contexts.js";
import { CliError, EXIT } from "../../errors.js";
import { act, examples } from "../shared.js";

async function runContextUse(r: Run, name: string): Promise<void> {
  const path = configPath(r.deps.env);
  const file = await loadContexts(path);
  if (!file.contexts[name]) throw new CliError(`no context named "${name}"`, EXIT.usage, "list them with `ticketctl context list`");
  file.current = name;
  await saveContexts(path, file);
  r.out.info(`using context "${name}"`);
}

export function register(parent: Command, deps: Deps): void {
  parent.command("use").description("Switch to a saved context").argument("<name>").addHelpText("after", examples("ticketctl context use embedded-50600-customer")).action(act(deps, runContextUse));
}
