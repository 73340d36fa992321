include(GoogleTest)

# Under ASan+UBSan (CG_SANITIZE) everything of ours runs about 2-3x slower. One factor stretches
# what only bounds a wait: each cg_test's ctest TIMEOUT here, and, through the environment
# variable CG_TEST_TIME_SCALE that scripts/test.sh sets to the same value when it runs
# build-asan's ctest, the harnesses' readiness and shutdown waits (tests/e2e/gateway/harness.py).
# What a test asserts about timing is never scaled.
if(CG_SANITIZE)
  set(cg_test_time_scale 3)
else()
  set(cg_test_time_scale 1)
endif()

# cg_unit_test(NAME name SOURCES ... LIBS ... [LABEL unit|integration|e2e] [TIMEOUT s])
# One GoogleTest executable; every TEST is its own ctest test carrying the label and a timeout.
function(cg_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  math(EXPR T_TIMEOUT "${T_TIMEOUT} * ${cg_test_time_scale}")
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${T_NAME} PRIVATE
    CG_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CG_BINARY_DIR="${PROJECT_BINARY_DIR}"
    CG_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  cg_warnings(${T_NAME})
  # NO_PRETTY_VALUES: parameterised tests are named by index, not by raw object bytes (which
  # hold addresses and would rename the tests on every build).
  gtest_discover_tests(${T_NAME} NO_PRETTY_VALUES PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
                       DISCOVERY_TIMEOUT 60)
endfunction()

# cg_fuzzer(NAME fuzz_x SOURCE f.cpp LIBS ... CORPUS dir)
# Under clang with CG_FUZZ: a libFuzzer binary (ASan+UBSan) run briefly by ctest over its corpus.
# Otherwise: a replayer that feeds every corpus file to the target once (label fuzz either way).
function(cg_fuzzer)
  cmake_parse_arguments(F "" "NAME;SOURCE;CORPUS" "LIBS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCE})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  cg_warnings(${F_NAME})
  if(CG_FUZZ)
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    set(seconds $ENV{CG_FUZZ_SECONDS})
    if(NOT seconds)
      set(seconds 20)
    endif()
    # A scratch copy of the corpus so new inputs found in CI never dirty the source tree.
    add_test(NAME ${F_NAME}
             COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && cp -r \"$2\"/. \"$1\"/ && \"$3\" -max_total_time=${seconds} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \"$1\" \"$2\""
                     sh ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}.corpus ${F_CORPUS} $<TARGET_FILE:${F_NAME}>)
    set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 300)
  else()
    target_sources(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    add_test(NAME ${F_NAME} COMMAND ${F_NAME} ${F_CORPUS})
    set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 120)
  endif()
  if(NOT TARGET fuzzers)
    add_custom_target(fuzzers)
  endif()
  add_dependencies(fuzzers ${F_NAME})
endfunction()
