// zd-keygen — make a CURVE certificate pair for --curve-cert / --curve-allow /
// --curve-server-key, in CZMQ's zcert format, or check one.
//
//   zd-keygen NAME [--meta KEY=VALUE]... [--force]
//       writes NAME (public: give it to peers) and NAME_secret (mode 0600: keep it), prints
//       the public key on stdout. Metadata "name" defaults to NAME's file name.
//   zd-keygen --check PATH
//       reads a certificate file (or an allow-list directory) as a device would and prints
//       what it holds, or why a device would refuse it.
// Exit codes: 0 ok, 1 a file exists (without --force), cannot be written, or fails --check,
// 2 usage error.
#include "base/log.hpp"
#include "cli/device_cli.hpp"
#include "security/certificate.hpp"
#include "security/certificate_store.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <sys/stat.h>

namespace {

using zd::security::certificate_error;
using zd::security::certificate_t;

struct keygen_options_t {
    std::string name;                  // NAME: where the pair goes
    std::vector<std::string> metadata; // KEY=VALUE, checked while parsing
    bool force = false;
    std::string check; // --check PATH
};

std::pair<std::string, std::string> split_metadata(const std::string& text) {
    const auto equals = text.find('=');
    return {text.substr(0, equals), text.substr(equals + 1)};
}

CLI::Validator metadata_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (text.find('=') == std::string::npos) return "'" + text + "' is not KEY=VALUE";
            const auto [key, value] = split_metadata(text);
            return zd::security::metadata_problem(key, value);
        },
        "");
}

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

int make_pair(const keygen_options_t& options) {
    std::vector<std::pair<std::string, std::string>> metadata;
    for (const auto& text : options.metadata)
        metadata.push_back(split_metadata(text));
    const bool has_name =
        std::any_of(metadata.begin(), metadata.end(), [](auto& m) { return m.first == "name"; });
    if (!has_name) metadata.insert(metadata.begin(), {"name", base_name(options.name)});
    const certificate_t certificate = zd::security::new_certificate(std::move(metadata));
    zd::security::write_certificate_files(options.name, certificate, options.force);
    zd::log::info("wrote " + options.name + " (public) and " + options.name +
                  "_secret (secret, mode 0600)");
    std::cout << certificate.public_key << '\n';
    return zd::exit_ok;
}

void print_certificate(const certificate_t& certificate) {
    std::cout << "public-key " << certificate.public_key << '\n'
              << "name " << certificate.name() << '\n';
}

int check_path(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
        const auto certificates = zd::security::load_allowed_certificates(path);
        for (const auto& certificate : certificates)
            std::cout << certificate.public_key << ' ' << certificate.name() << '\n';
        zd::log::info(path + ": " + std::to_string(certificates.size()) +
                      " allowed certificate(s)");
        return zd::exit_ok;
    }
    certificate_t certificate = zd::security::read_certificate_file(path);
    const bool secret = !certificate.secret_key.empty();
    if (secret) certificate = zd::security::read_secret_certificate(path); // mode checks too
    print_certificate(certificate);
    std::cout << "secret-key " << (secret ? "present (mode 0600, matches public-key)" : "absent")
              << '\n';
    return zd::exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-keygen: make a CURVE certificate pair (CZMQ's zcert format), or check one.",
                 "zd-keygen"};
    app.footer(
        "Files (docs/SECURITY.md):\n"
        "  NAME         the public certificate: copy it into the --curve-allow directory of\n"
        "               the servers this key may reach, or give it as --curve-server-key to\n"
        "               the clients of a server that uses this key\n"
        "  NAME_secret  the secret certificate, mode 0600: this program's --curve-cert\n"
        "Examples:\n"
        "  zd-keygen /etc/zdevices/keys/hub-a --meta site=paris\n"
        "  zd-keygen --check /etc/zdevices/keys/hub-a_secret\n"
        "  zd-keygen --check /etc/zdevices/allowed\n"
        "--check prints 'public-key KEY', 'name NAME' and 'secret-key present|absent' for a\n"
        "file, one 'KEY NAME' line per certificate for a directory (read as --curve-allow\n"
        "reads it), or the reason a device would refuse it.\n"
        "Exit codes: 0 ok, 1 a file exists (without --force), cannot be written, or fails\n"
        "--check, 2 usage error.");
    keygen_options_t options;
    app.add_option("name", options.name,
                   "Where to write: NAME (public) and NAME_secret (secret, mode 0600)")
        ->type_name("NAME")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                if (text.ends_with("_secret"))
                    return "NAME '" + text +
                           "' ends in _secret, which marks the secret file; drop it";
                if (text.empty() || text.ends_with('/'))
                    return "NAME '" + text + "' is a directory; give a file name";
                return {};
            },
            ""));
    app.add_option("--meta", options.metadata,
                   "Metadata KEY=VALUE in the certificate, repeatable (name defaults to NAME's "
                   "file name)")
        ->type_name("KEY=VALUE")
        ->check(metadata_validator());
    app.add_flag("--force", options.force, "Replace NAME and NAME_secret if they exist");
    app.add_option("--check", options.check,
                   "Read a certificate file or allow-list directory as a device would; print "
                   "what it holds or why it would be refused")
        ->type_name("PATH");
    zd::add_version_flag(app);
    app.parse_complete_callback([&] {
        if (options.name.empty() && options.check.empty())
            throw CLI::RequiredError("NAME (or --check PATH)");
        if (!options.name.empty() && !options.check.empty())
            throw CLI::ValidationError("give NAME to make a pair or --check PATH, not both");
    });
    if (const auto code = zd::parse_command_line(app, argc, argv)) return *code;
    zd::log::configure(app.get_name(), zd::log::level::info);
    try {
        return options.check.empty() ? make_pair(options) : check_path(options.check);
    } catch (const std::exception& error) {
        zd::log::error(std::string("error: ") + error.what());
        return zd::exit_failure;
    }
}
