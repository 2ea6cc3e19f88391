import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { configPath, loadContexts, saveContexts } from "../../contexts.js";
import { CliError, EXIT } from "../../errors.js";
import { act, examples } from "../shared.js";

async function runContextRemove(r: Run, name: string): Promise<void> {
  const path = configPath(r.deps.env);
  const file = await loadContexts(path);
  if (!file.contexts[name]) throw new CliError(`no context named "${name}"`, EXIT.usage);
  delete file.contexts[name];
  if (file.current === name) delete file.current;
  await saveContexts(path, file);
  r.out.info(`context "${name}" removed`);
}

export function register(parent: Command, deps: Deps): void {
  parent.command("remove").description("Forget a context").argument("<name>").addHelpText("after", examples("ticketctl context remove staging")).action(act(deps, runContextRemove));
}
