#include "app/ServeCommand.h"

#include "chatiere/manager/Daemon.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/SmtpMailer.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/LibvirtHypervisor.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/LoggingConfigurator.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/ServerApplication.h>

#include <csignal>
#include <iostream>

namespace chatiere::manager {

namespace {

void configureLogging(const std::string& configPath) {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config =
        new Poco::Util::PropertyFileConfiguration(configPath);
    Poco::Util::AbstractConfiguration::Keys loggingKeys;
    config->keys("logging", loggingKeys);
    if (!loggingKeys.empty()) {
        // Poco 1.11's configurator reads the "logging." keys itself: give it the whole file.
        Poco::Util::LoggingConfigurator().configure(config);
        return;
    }
    Poco::AutoPtr<Poco::PatternFormatter> formatter =
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%SZ %p %s: %t");
    Poco::AutoPtr<Poco::FormattingChannel> channel =
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel(std::cerr));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
}

class ServeApplication final : public Poco::Util::ServerApplication {
public:
    ServeApplication(Settings settings, std::string configPath)
        : settings_(std::move(settings)), configPath_(std::move(configPath)) {}

protected:
    void initialize(Poco::Util::Application&) override {}  // no application.* config: ours is validated

    int main(const std::vector<std::string>&) override {
        // Here, not before: constructing the Application resets the root logger's channel.
        configureLogging(configPath_);
        Poco::Logger& logger = Poco::Logger::get("chatiere");
        base::SystemClock clock;
        SmtpMailer mailer(settings_.smtp);
        provisioning::LibvirtHypervisor hypervisor(settings_.libvirtUri);
        provisioning::NetworkHealthProbe probe(settings_.healthTimeoutSeconds);
        Daemon daemon(settings_, Externals{clock, mailer, hypervisor, probe, logger});
        try {
            daemon.start();
        } catch (const Error& e) {
            logger.fatal("cannot start: %s", std::string(e.what()));
            std::cerr << "chatiere: " << e.what() << "\n";
            return e.code() == "already_running" ? EXIT_TEMPFAIL : EXIT_SOFTWARE;
        }
        std::cout << "chatiere: listening on http://" << settings_.httpAddress << ":" << daemon.port()
                  << std::endl;
        waitForTerminationRequest();
        logger.information("termination requested: stopping");
        daemon.stop();
        return EXIT_OK;
    }

private:
    Settings settings_;
    std::string configPath_;
};

}  // namespace

int runServe(const std::string& configPath) {
    const Settings settings = Settings::fromFile(configPath);
    // Block the termination signals before any thread starts, so that every thread inherits the
    // mask and waitForTerminationRequest() (sigwait) is the one to receive them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ServeApplication app(settings, configPath);
    const std::vector<std::string> args = {"chatiere"};
    return app.run(args);
}

}  // namespace chatiere::manager
