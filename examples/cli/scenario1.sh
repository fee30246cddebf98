#!/usr/bin/env bash
# Scenario 1 of SCENARIOS.md (the spoiled baby food), played with the CLI
# against a running server with the demo tenant (bash tools/run-demo.sh):
# a public post and an email become one thread once the parent's email is
# linked; the phone agent sees both; the courier pick-up and the lab results
# are commitments.
#
#   bash examples/cli/scenario1.sh [host:port]
#
# Each run uses new identities, so it can be played again on the same store.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cli_binary="${OMNIROUTE_CLI:-build/release/tools/omniroute}"
cli=("${cli_binary}" "--server=${1:-127.0.0.1:50051}" --tenant=acme)
run="$(date +%s)"

# The value of a field in the CLI's one-line JSON output.
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1; }

echo "== the community manager and the phone agent start their day"
"${cli[@]}" presence camille AVAILABLE
"${cli[@]}" presence paul AVAILABLE

echo "== 19:00, a public post with a photo of the spoiled jar"
post="$("${cli[@]}" --json ingest --channel=PUBLIC_SOCIAL --from="handle@x:parent_of_lea_${run}" \
  --id="post-${run}" --reach=5400 "Opened a sealed jar of your baby food tonight: spoiled.")"
customer="$(field customerId <<<"${post}")"
conversation="$(field conversationId <<<"${post}")"
task="$(field taskId <<<"${post}")"
echo "customer ${customer}, conversation ${conversation}, task ${task} offered to camille"
"${cli[@]}" accept "${task}" camille

echo "== 19:20, the same parent writes to the complaints address"
"${cli[@]}" ingest --channel=EMAIL --from="email:parent.lea.${run}@example.org" \
  --id="<jar-${run}@example.org>" "Batch 4411, bought Saturday. The jar was sealed."

echo "== the community manager answers in public, then takes it to a private message"
"${cli[@]}" reply "${conversation}" --channel=PUBLIC_SOCIAL --agent=camille \
  "We are sorry. Please send us a private message with your contact details."
"${cli[@]}" handoff "${conversation}" PRIVATE_SOCIAL --agent=camille --reason="contact details"
"${cli[@]}" ingest --channel=PRIVATE_SOCIAL --from="handle@x:parent_of_lea_${run}" \
  --id="dm-${run}" "My email is parent.lea.${run}@example.org, I wrote to you there."

echo "== linking the email to the social account: one customer, one thread"
"${cli[@]}" link "${customer}" "email:parent.lea.${run}@example.org" --agent=camille

echo "== the phone desk calls back, and promises a courier and the lab results"
"${cli[@]}" handoff "${conversation}" VOICE --agent=camille --reason="call the parent back"
"${cli[@]}" commit "${conversation}" --kind=PICKUP --due=+4h --description="courier picks up the jar" --agent=paul
"${cli[@]}" commit "${conversation}" --kind=CALLBACK --due=+7d --description="call with the lab results" --agent=paul

echo "== what the phone agent sees"
"${cli[@]}" timeline "${conversation}"
"${cli[@]}" routing "${conversation}"
"${cli[@]}" commitments "${conversation}"
