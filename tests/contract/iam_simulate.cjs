// Evaluates IAM requests with @cloud-copilot/iam-simulate (installed by `make tools` into
// .tools/iam-simulate; AGPL-3.0, a test tool only, never shipped). One process serves every
// request of a test session: one JSON request per line on stdin, one JSON answer per line on
// stdout, in order.
//
// request: {principal, action, resource, accountId, context, identityPolicies: [policy...],
//           resourcePolicy?: policy}
// answer:  {result: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "error",
//           errors?, ignoredContextKeys?, resourceType?}
"use strict";

const path = require("node:path");
const readline = require("node:readline");

const toolDir = process.argv[2];
const { runSimulation } = require(
  require.resolve("@cloud-copilot/iam-simulate", { paths: [path.resolve(toolDir)] }),
);

async function evaluate(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.accountId },
      contextVariables: request.context || {},
    },
    identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  if (request.resourcePolicy) simulation.resourcePolicy = request.resourcePolicy;
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") return { result: "error", errors: response.errors };
  const result = response.resultType === "single" ? response.result : response.results[0];
  return {
    result: response.overallResult,
    ignoredContextKeys: (result && result.ignoredContextKeys) || [],
    resourceType: result && result.resourceType,
  };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = await evaluate(JSON.parse(line));
    } catch (error) {
      answer = { result: "error", errors: { message: String(error && error.stack) } };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
}

main();
