// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The one source of omniroute_test_pch, the target that builds the
// precompiled header the test binaries share (tests/CMakeLists.txt).
