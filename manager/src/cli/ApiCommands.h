#pragma once

namespace chatiere::manager {

// `chatiere service …`: a client of the daemon's API (one writer of business state). The daemon's
// address from --url (default http://127.0.0.1:8470), the token from CHATIERE_TOKEN or --token-file.
int runServiceCommand(int argc, char** argv);
// `chatiere usage …` (service series, association usage, quota exceptions) and `chatiere alerts`.
int runUsageCommand(int argc, char** argv);
// `chatiere pads list|create|delete SERVICE_ID [NAME] [--text T]`: an editor's pads.
int runPadsCommand(int argc, char** argv);
int runAlertsCommand(int argc, char** argv);
// `chatiere mail mailbox|alias …`: a mail service's mailboxes and aliases (cli/MailCommands.cpp).
int runMailCommand(int argc, char** argv);
// `chatiere templates rollout|rollout-status [TEMPLATE]` (admin): starts rolling a rebuilt image
// out now / shows which services run an outdated build and the rollout in progress.
int runRolloutCommand(int argc, char** argv);
// `chatiere billing …`: subscriptions, billing runs, invoices, payments, credit notes, exports.
int runBillingCommand(int argc, char** argv);

}  // namespace chatiere::manager
