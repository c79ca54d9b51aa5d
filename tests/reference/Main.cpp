//===- Main.cpp - Catch2 main for the reference tests ---------------------===//

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
