# In-process loopback HTTP(S) fakes (STS, container endpoint, misbehaving DynamoDB); included by
# every test folder that uses them.
if(NOT TARGET cg_test_support_fake_http)
  add_library(cg_test_support_fake_http STATIC ${PROJECT_SOURCE_DIR}/tests/support/team/fake_http.cpp)
  target_include_directories(cg_test_support_fake_http PUBLIC ${PROJECT_SOURCE_DIR}/tests/support/team)
  target_link_libraries(cg_test_support_fake_http PUBLIC cg::asio)
  cg_warnings(cg_test_support_fake_http)
endif()
