#include "chatiere/manager/Cli.h"

#include "app/ServeCommand.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/templates/Catalogue.h"
#include "chatiere/templates/ImageCache.h"
#include "cli/ApiCommands.h"
#include "domain/StaffAccounts.h"
#include "domain/TotpService.h"

#include <termios.h>
#include <unistd.h>

#include <Poco/Exception.h>
#include <Poco/Process.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace chatiere::manager {

namespace {

constexpr const char* kDefaultConfig = "/etc/chatiere/chatiere.properties";

constexpr const char* kUsage = R"(Usage: chatiere COMMAND [OPTIONS]

Chatière runs hosted services (websites, editors, mail) for associations, with sign-ups,
subscriptions, quotas and billing.

Commands:
  serve --config FILE        run the daemon (HTTP API and web pages)
  migrate --config FILE      create or upgrade the database schema
  admin create --email E     create a staff account (password read from standard input)
  admin list                 list staff accounts
  admin reset-totp --email E remove an account's second factor (lost authenticator)
  templates list             the service catalogue, checked
  templates build [NAME]     build the appliance image of a template (or of all), outside the daemon
  templates status|check     each image's build and age; check Debian for updates and rebuild
  templates rollout [NAME]   (admin, through the daemon) restart outdated services on the new build
  service create|list|show|suspend|resume|delete|upload|resize
                             services, through the daemon's API (CHATIERE_TOKEN)
  pads list|create|delete SERVICE_ID [NAME] [--text T]
                             an editor's pads, through the daemon's API
  mail mailbox|alias list|add|passwd|set|delete SERVICE_ID ...
                             a mail service's mailboxes and aliases, through the daemon's API
  usage service|association|exception
                             usage over time, against the plan; quota exceptions (API)
  alerts [all]               what the admin must look at (API)
  billing run|subscribe|subscriptions|change|cancel|invoices|invoice|finalize|pay|credit-note|export
                             subscriptions, invoices, payments, exports (API)
  --version                  print the version
  --help                     this text; `chatiere COMMAND --help` for a command

Every command takes --config FILE (default /etc/chatiere/chatiere.properties).
)";

// Splits "--key value" and "--key=value" pairs; bare words are positional.
struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
    bool help = false;

    std::string option(const std::string& name, const std::string& fallback = "") const {
        const auto it = options.find(name);
        return it == options.end() ? fallback : it->second;
    }
};

Args parseArgs(int argc, char** argv, int first, const std::vector<std::string>& flagsWithValues) {
    Args args;
    for (int i = first; i < argc; ++i) {
        std::string word = argv[i];
        if (word == "--help" || word == "-h") {
            args.help = true;
        } else if (word.rfind("--", 0) == 0) {
            std::string name = word.substr(2);
            std::string value;
            const auto eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            } else if (std::find(flagsWithValues.begin(), flagsWithValues.end(), name) !=
                       flagsWithValues.end()) {
                if (i + 1 >= argc) {
                    throw Error(ErrorKind::BadRequest, "usage", "option --" + name + " needs a value");
                }
                value = argv[++i];
            } else {
                throw Error(ErrorKind::BadRequest, "usage", "unknown option --" + name);
            }
            if (std::find(flagsWithValues.begin(), flagsWithValues.end(), name) == flagsWithValues.end()) {
                throw Error(ErrorKind::BadRequest, "usage", "unknown option --" + name);
            }
            args.options[name] = value;
        } else {
            args.positional.push_back(word);
        }
    }
    return args;
}

int migrateCommand(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"config"});
    if (args.help) {
        std::cout << "Usage: chatiere migrate [--config FILE]\n\n"
                     "Creates the database if needed and applies the missing schema migrations.\n"
                     "Safe to run while the daemon runs; a no-op when the schema is current.\n";
        return 0;
    }
    const Settings settings = Settings::fromFile(args.option("config", kDefaultConfig));
    Database db(settings.dbPath, 2);
    const int applied = db.migrate();
    std::cout << "database " << settings.dbPath << ": schema version " << db.schemaVersion() << " ("
              << applied << " migration(s) applied)\n";
    return 0;
}

int serveCommand(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"config"});
    if (args.help) {
        std::cout
            << "Usage: chatiere serve [--config FILE]\n\n"
               "Runs the daemon: the HTTP API and pages on http.address:http.port, the background\n"
               "tasks, the SQLite database (migrated at start). Stops gracefully on SIGTERM or SIGINT.\n"
               "A second daemon on the same database is refused.\n";
        return 0;
    }
    return runServe(args.option("config", kDefaultConfig));
}

// Reads one line from standard input, without echo when it is a terminal.
std::string readPassword() {
    const bool tty = ::isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (tty) {
        std::cerr << "Password: " << std::flush;
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << "\n";
    }
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    return password;
}

int adminCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (sub == "create") {
        const Args args = parseArgs(argc, argv, 3, {"config", "email", "name", "role"});
        if (args.help) {
            std::cout
                << "Usage: chatiere admin create --email E [--name N] [--role admin|treasurer] [--config "
                   "FILE]\n\n"
                   "Creates a staff account. The password is read from standard input (one line),\n"
                   "never from the command line. Works on the database directly, daemon running or not.\n";
            return 0;
        }
        const std::string email = args.option("email");
        if (email.empty()) {
            throw Error(ErrorKind::BadRequest, "usage", "admin create needs --email");
        }
        const auto role = staffRoleFrom(args.option("role", "admin"));
        if (!role) {
            throw Error(ErrorKind::BadRequest, "usage", "--role must be admin or treasurer");
        }
        const Settings settings = Settings::fromFile(args.option("config", kDefaultConfig));
        const std::string password = readPassword();
        Database db(settings.dbPath, 2);
        db.migrate();
        base::SystemClock clock;
        PasswordHasher hasher;
        const std::string name = args.option("name", email.substr(0, email.find('@')));
        const User user = createStaffUser(db, clock, hasher, email, name, password, *role);
        std::cout << "created " << toString(*role) << " " << user.email << " (" << user.id << ")\n";
        return 0;
    }
    if (sub == "list") {
        const Args args = parseArgs(argc, argv, 3, {"config"});
        if (args.help) {
            std::cout << "Usage: chatiere admin list [--config FILE]\n\nLists the staff accounts.\n";
            return 0;
        }
        const Settings settings = Settings::fromFile(args.option("config", kDefaultConfig));
        Database db(settings.dbPath, 2);
        db.migrate();
        for (const auto& user : listStaffUsers(db)) {
            std::cout << user.id << "\t" << toString(*user.staffRole) << "\t" << user.email << "\t"
                      << user.name << "\n";
        }
        return 0;
    }
    if (sub == "reset-totp") {
        const Args args = parseArgs(argc, argv, 3, {"config", "email"});
        if (args.help) {
            std::cout << "Usage: chatiere admin reset-totp --email E [--config FILE]\n\n"
                         "Removes the second factor (TOTP and recovery codes) of the account E, for someone\n"
                         "who lost their authenticator, and ends its sessions. Its next login asks for the\n"
                         "password only; a staff account must then enrol again. Audited (user.totp_reset).\n"
                         "Works on the database directly, daemon running or not.\n";
            return 0;
        }
        const std::string email = args.option("email");
        if (email.empty()) {
            throw Error(ErrorKind::BadRequest, "usage", "admin reset-totp needs --email");
        }
        const Settings settings = Settings::fromFile(args.option("config", kDefaultConfig));
        Database db(settings.dbPath, 2);
        db.migrate();
        base::SystemClock clock;
        PasswordHasher hasher;
        TotpService totp(db, clock, settings, hasher);
        totp.reset(email, Actor::system("cli"));
        std::cout << "second factor of " << email << " removed; its sessions are closed\n";
        return 0;
    }
    std::cout
        << "Usage: chatiere admin create|list|reset-totp [OPTIONS]\n"
           "  create --email E [--name N] [--role admin|treasurer]   password on standard input\n"
           "  list                                                 the staff accounts\n"
           "  reset-totp --email E                                 remove the account's second factor\n";
    return sub == "--help" || sub == "-h" ? 0 : 64;
}

constexpr const char* kTemplatesUsage =
    "Usage: chatiere templates list|build|status|check [NAME...|--all] [--config FILE]\n"
    "       chatiere templates rollout|rollout-status [NAME] [--url URL] [--token-file FILE]\n\n"
    "list: the catalogue in templates.dir, checked, and whether each image is built.\n"
    "build [NAME...|--all] [--force]: builds the appliance images that are missing or whose recipe\n"
    "  changed (all when no NAME), into data.dir/images/NAME; --force builds again anyway.\n"
    "status [NAME...]: each template's current build, its age, and whether it is outdated.\n"
    "check [NAME...|--all] [--no-build]: compares each build's packages with Debian's (bookworm,\n"
    "  -updates, -security) and rebuilds the images that have a newer package.\n"
    "Builds run templates.dir/build.sh, outside the daemon; Debian appliances need root.\n"
    "A create job whose image is missing waits for it.\n"
    "rollout [NAME]: (admin) the services on an older build restarted on the current one now, one at\n"
    "  a time (the daemon does it by itself unless images.auto_rollout is off); rollout-status: which\n"
    "  services run an outdated build, and the rollout in progress.\n";

// Runs templates.dir/build.sh on data.dir/images with `arguments`, its output on ours.
int runImageDriver(const Settings& settings, std::vector<std::string> arguments) {
    const auto driver = std::filesystem::path(settings.templatesDir) / "build.sh";
    if (!std::filesystem::is_regular_file(driver)) {
        throw Error(ErrorKind::NotFound, "no_driver", driver.string() + " does not exist");
    }
    arguments.insert(arguments.begin(), {driver.string(), "--cache", settings.imagesDir().string()});
    Poco::ProcessHandle handle = Poco::Process::launch("/bin/bash", arguments);
    const int status = handle.wait();
    if (status == 64) {
        return 64;
    }
    if (status != 0) {
        std::cerr << "chatiere: templates: " << driver.string() << " failed (exit " << status << ")\n";
        return 70;
    }
    return 0;
}

int templatesCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (sub == "rollout" || sub == "rollout-status") {
        return runRolloutCommand(argc, argv);
    }
    if (sub != "build" && sub != "list" && sub != "status" && sub != "check") {
        std::cout << kTemplatesUsage;
        return sub == "--help" || sub == "-h" ? 0 : 64;
    }
    // The driver's switches, passed on; parseArgs takes the rest.
    const std::map<std::string, std::vector<std::string>> switches = {
        {"build", {"--all", "--force"}}, {"check", {"--all", "--no-build"}}, {"status", {}}, {"list", {}}};
    std::vector<std::string> passed;
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
        const auto& allowed = switches.at(sub);
        if (i > 2 && std::find(allowed.begin(), allowed.end(), argv[i]) != allowed.end()) {
            passed.emplace_back(argv[i]);
        } else {
            rest.push_back(argv[i]);
        }
    }
    const Args args = parseArgs(static_cast<int>(rest.size()), rest.data(), 3, {"config"});
    if (args.help) {
        std::cout << kTemplatesUsage;
        return 0;
    }
    const Settings settings = Settings::fromFile(args.option("config", kDefaultConfig));
    const auto catalogue = templates::Catalogue::load(settings.templatesDir);
    for (const auto& name : args.positional) {
        if (!catalogue.find(name)) {
            throw Error(ErrorKind::NotFound, "unknown_template",
                        "no template named " + name + " in " + settings.templatesDir);
        }
    }
    if (sub == "list") {
        const templates::ImageCache images(settings.imagesDir());
        for (const auto& m : catalogue.all()) {
            const auto build = images.currentBuild(m);
            std::cout << m.name << "\t" << m.kind << "\t" << m.title.fr << "\t"
                      << (images.isBuilt(m) ? "image " + build->filename().string() : "image not built")
                      << "\n";
        }
        return 0;
    }
    std::vector<std::string> arguments;
    if (sub == "status") {
        arguments.emplace_back("--status");
    } else if (sub == "check") {
        arguments.emplace_back("--check");
    }
    arguments.insert(arguments.end(), passed.begin(), passed.end());
    arguments.insert(arguments.end(), args.positional.begin(), args.positional.end());
    if (sub != "status" && args.positional.empty() &&
        std::find(passed.begin(), passed.end(), "--all") == passed.end()) {
        arguments.emplace_back("--all");
    }
    return runImageDriver(settings, arguments);
}

}  // namespace

int runCli(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "--help";
    try {
        if (command == "--version" || command == "-V" || command == "version") {
            std::cout << "chatiere " << CHATIERE_VERSION << "\n";
            return 0;
        }
        if (command == "--help" || command == "-h" || command == "help") {
            std::cout << kUsage;
            return argc > 1 ? 0 : 64;
        }
        if (command == "migrate") {
            return migrateCommand(argc, argv);
        }
        if (command == "serve") {
            return serveCommand(argc, argv);
        }
        if (command == "admin") {
            return adminCommand(argc, argv);
        }
        if (command == "templates") {
            return templatesCommand(argc, argv);
        }
        if (command == "service") {
            return runServiceCommand(argc, argv);
        }
        if (command == "pads") {
            return runPadsCommand(argc, argv);
        }
        if (command == "mail") {
            return runMailCommand(argc, argv);
        }
        if (command == "usage") {
            return runUsageCommand(argc, argv);
        }
        if (command == "alerts") {
            return runAlertsCommand(argc, argv);
        }
        if (command == "billing") {
            return runBillingCommand(argc, argv);
        }
        std::cerr << "chatiere: unknown command '" << command << "'\n\n" << kUsage;
        return 64;
    } catch (const SettingsError& e) {
        std::cerr << "chatiere: configuration: " << e.what() << "\n";
        return 78;  // EX_CONFIG
    } catch (const Error& e) {
        std::cerr << "chatiere: " << e.what() << "\n";
        for (const auto& f : e.fields()) {
            std::cerr << "  " << f.field << ": " << f.message << "\n";
        }
        return e.code() == "usage" ? 64 : exitCodeOf(e.kind());
    } catch (const templates::TemplateError& e) {
        std::cerr << "chatiere: " << e.what() << "\n";
        return 65;
    } catch (const Poco::Exception& e) {
        std::cerr << "chatiere: " << e.displayText() << "\n";
        return 70;
    } catch (const std::exception& e) {
        std::cerr << "chatiere: " << e.what() << "\n";
        return 70;
    }
}

}  // namespace chatiere::manager
