// Catch2's main, for when tests/support (which provides a shared one) is not built.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
