# Install rules and the Debian package (CPack DEB). Included from the top-level CMakeLists.txt.
#
#   cmake --install build --prefix /usr/local         # or any prefix
#   (cd build && cpack -G DEB)                        # vae-explorer_<version>_<arch>.deb
#
# The shaders are embedded in the binary (app/gui/gl_util.cpp), so the executable, its icon and its
# desktop entry are all there is to install.
include(GNUInstallDirs)

install(TARGETS vae-explorer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT app)

if(VAE_BUILD_GUI)
  # Icon theme sizes as the freedesktop icon theme spec lays them out; the PNGs are rendered from
  # the SVG by tools/render-icons and committed.
  foreach(size 16 24 32 48 64 128 256)
    install(FILES assets/icons/vae-explorer-${size}.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
            RENAME vae-explorer.png COMPONENT app)
  endforeach()
  install(FILES assets/icons/vae-explorer.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
          COMPONENT app)
  install(FILES assets/vae-explorer.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT app)
  install(FILES assets/vae-explorer-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages
          RENAME vae-explorer.xml COMPONENT app)
endif()
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT app)

set(CPACK_PACKAGE_NAME vae-explorer)
set(CPACK_PACKAGE_VENDOR "VAE Explorer")
set(CPACK_PACKAGE_CONTACT "VAE Explorer maintainers <vae-explorer@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Train variational autoencoders and explore their latent spaces")
set(CPACK_PACKAGE_DESCRIPTION
    "A desktop application for people who learn, teach and research VAEs: trains a model on a data\n"
    "set while showing the loss, the latent space, decoded samples, reconstructions and\n"
    "interpolations, and a command line (train, eval, sample, export) for the same work headless.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_INSTALL_DIRECTORY vae-explorer)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/vae-explorer")
# Depends: dpkg-shlibdeps reads the shared libraries the binary links (libtorch1.13, libglfw3,
# libgtk-3-0, libstdc++6, ...) and writes versioned dependencies on their packages.
# What it cannot see is added by hand: the BLAS libtorch loads through the libblas.so.3
# alternative (the reference BLAS makes training ~10x slower, see README), libGL, which GLFW
# opens at run time, and Mesa's drivers, which libGL opens in turn.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(VAE_DEB_RUNTIME_DEPENDS "libopenblas0-pthread")
if(VAE_BUILD_GUI)
  string(APPEND VAE_DEB_RUNTIME_DEPENDS ", libgl1, libgl1-mesa-dri | libgl1-amber-dri")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${VAE_DEB_RUNTIME_DEPENDS}")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist, fonts-dejavu-core")
set(CPACK_GENERATOR DEB)
include(CPack)
