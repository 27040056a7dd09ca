# rmq_add_test(NAME name SOURCES a.cc b.cc DEPS lib... LABELS unit|integration|jepsen|compat [TIMEOUT s]
#              [LOCK name] [FIXTURES name])
# LOCK: a ctest RESOURCE_LOCK, so tests sharing it never run at the same time (e.g. the ones
# starting a whole cluster of processes on a 2-core machine). FIXTURES: ctest FIXTURES_REQUIRED.
# Builds one GoogleTest binary and registers each of its tests with ctest under the given labels.
# Each label L also gets a target rmq_tests_L that builds every binary of that label, so a pass
# over some labels builds only what it runs (scripts/test's sanitizer pass).
find_package(GTest REQUIRED)
include(GoogleTest)

function(rmq_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;LOCK;FIXTURES" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} rmq_testutil GTest::gtest GTest::gtest_main
                                          rmq_warnings)
  foreach(label IN LISTS T_LABELS)
    if(NOT TARGET rmq_tests_${label})
      add_custom_target(rmq_tests_${label})
    endif()
    add_dependencies(rmq_tests_${label} ${T_NAME})
  endforeach()
  set(extra_props)
  if(T_LOCK)
    set(extra_props RESOURCE_LOCK ${T_LOCK})
  endif()
  if(T_FIXTURES)
    list(APPEND extra_props FIXTURES_REQUIRED ${T_FIXTURES})
  endif()
  gtest_discover_tests(${T_NAME}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ${extra_props}
    DISCOVERY_TIMEOUT 60)
endfunction()
